//! Chinese names for people, roads and pharmacy chains.

use std::fmt::Write;

use super::rng::{GenRng, pick, weighted};

/// Common surnames, most frequent first, with rough weights.
const SURNAMES: [(&str, u32); 40] = [
    ("王", 72),
    ("李", 71),
    ("张", 67),
    ("刘", 54),
    ("陈", 46),
    ("杨", 33),
    ("黄", 25),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 15),
    ("马", 12),
    ("朱", 12),
    ("胡", 11),
    ("郭", 11),
    ("何", 10),
    ("林", 10),
    ("高", 10),
    ("罗", 9),
    ("郑", 9),
    ("梁", 8),
    ("谢", 7),
    ("宋", 6),
    ("唐", 6),
    ("许", 6),
    ("韩", 6),
    ("冯", 5),
    ("邓", 5),
    ("曹", 5),
    ("彭", 5),
    ("曾", 5),
    ("肖", 5),
    ("田", 4),
    ("董", 4),
    ("袁", 4),
    ("潘", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("欧阳", 1),
];

const MALE_GIVEN: [&str; 40] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "建国", "建华", "国强",
    "志强", "文博", "浩然", "子轩", "宇航", "俊杰", "晓东", "海波", "家豪", "德明", "振华", "少华",
    "建军", "卫东", "立新", "鹏", "斌", "亮", "宁", "峰", "浩", "凯", "博文", "天佑", "一鸣",
];

const FEMALE_GIVEN: [&str; 40] = [
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕",
    "玲", "婷", "雪", "琳", "欣怡", "梓涵", "子涵", "雨桐", "思琪", "佳怡", "晓红", "丽华", "淑珍",
    "美玲", "春梅", "海燕", "文静", "慧敏", "丹", "萍", "红", "洁", "颖", "莉", "诗涵", "可馨",
];

/// Road names found in most Chinese cities.
pub const ROADS: [&str; 40] = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "和平路",
    "文化路",
    "新华路",
    "胜利路",
    "长江路",
    "黄河路",
    "青年路",
    "光明路",
    "北京路",
    "南京路",
    "延安路",
    "东风路",
    "红旗路",
    "朝阳路",
    "友谊路",
    "幸福路",
    "文三路",
    "学院路",
    "复兴路",
    "振兴路",
    "滨江路",
    "湖滨路",
    "春晓路",
    "建国路",
    "工农路",
    "府前路",
    "车站路",
    "环城路",
    "体育路",
    "公园路",
    "金桥路",
    "花园路",
    "育才路",
    "民主路",
    "团结路",
    "园林路",
];

/// Pharmacy chains (连锁药房).
pub const PHARMACY_CHAINS: [&str; 10] = [
    "老百姓大药房",
    "益丰大药房",
    "大参林",
    "国大药房",
    "海王星辰",
    "一心堂",
    "漱玉平民大药房",
    "同仁堂药店",
    "九州通大药房",
    "华润堂",
];

/// Chinese numerals for hospital names (第一 .. 第二十).
pub fn ordinal(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

/// Appends a person's name (surname and given name) to `out`.
pub fn write_person_name(out: &mut impl Write, rng: &mut GenRng, male: bool) -> std::fmt::Result {
    const WEIGHTS: [u32; 40] = {
        let mut w = [0; 40];
        let mut i = 0;
        while i < 40 {
            w[i] = SURNAMES[i].1;
            i += 1;
        }
        w
    };
    let surname = SURNAMES[weighted(rng, &WEIGHTS)].0;
    let given = if male {
        pick(rng, &MALE_GIVEN)
    } else {
        pick(rng, &FEMALE_GIVEN)
    };
    out.write_str(surname)?;
    out.write_str(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_as_chinese_numbers() {
        assert_eq!(ordinal(1), "一");
        assert_eq!(ordinal(10), "十");
        assert_eq!(ordinal(12), "十二");
        assert_eq!(ordinal(20), "二十");
        assert_eq!(ordinal(23), "二十三");
    }
}
