//! The pooling areas (统筹区) patients are insured in and providers sit in.

pub struct Region {
    /// The area code used as `region` and `treat_region`.
    pub code: &'static str,
    /// The city as it appears in hospital names (杭州 -> 杭州市第一人民医院).
    pub city: &'static str,
    /// Urban districts, for district hospitals and community centres.
    pub districts: &'static [&'static str],
    /// Relative share of insured persons.
    pub weight: u32,
}

pub const REGIONS: [Region; 12] = [
    Region {
        code: "110000",
        city: "北京",
        districts: &["东城", "西城", "朝阳", "海淀", "丰台", "通州"],
        weight: 22,
    },
    Region {
        code: "310000",
        city: "上海",
        districts: &["黄浦", "徐汇", "静安", "浦东新", "闵行", "杨浦"],
        weight: 25,
    },
    Region {
        code: "440100",
        city: "广州",
        districts: &["越秀", "天河", "海珠", "白云", "番禺"],
        weight: 19,
    },
    Region {
        code: "440300",
        city: "深圳",
        districts: &["福田", "罗湖", "南山", "宝安", "龙岗"],
        weight: 18,
    },
    Region {
        code: "330100",
        city: "杭州",
        districts: &["上城", "拱墅", "西湖", "滨江", "萧山", "余杭"],
        weight: 12,
    },
    Region {
        code: "320100",
        city: "南京",
        districts: &["玄武", "秦淮", "鼓楼", "建邺", "江宁"],
        weight: 9,
    },
    Region {
        code: "510100",
        city: "成都",
        districts: &["锦江", "青羊", "金牛", "武侯", "成华"],
        weight: 21,
    },
    Region {
        code: "420100",
        city: "武汉",
        districts: &["江岸", "江汉", "硚口", "武昌", "洪山"],
        weight: 13,
    },
    Region {
        code: "610100",
        city: "西安",
        districts: &["新城", "碑林", "莲湖", "雁塔", "未央"],
        weight: 13,
    },
    Region {
        code: "500000",
        city: "重庆",
        districts: &["渝中", "江北", "沙坪坝", "九龙坡", "南岸"],
        weight: 32,
    },
    Region {
        code: "370100",
        city: "济南",
        districts: &["历下", "市中", "槐荫", "天桥", "历城"],
        weight: 9,
    },
    Region {
        code: "430100",
        city: "长沙",
        districts: &["芙蓉", "天心", "岳麓", "开福", "雨花"],
        weight: 10,
    },
];

/// The population weights of [`REGIONS`], in order.
pub fn region_weights() -> [u32; REGIONS.len()] {
    std::array::from_fn(|i| REGIONS[i].weight)
}
