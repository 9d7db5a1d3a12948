//! Disease profiles: a diagnosis (ICD-10 医保版) with the drugs, tests,
//! procedures and materials that go with it, so visits are coherent.

use super::catalog::Catalog;
use super::model::Gender;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Long-term: regular refills.
    Chronic,
    /// An outpatient episode.
    Acute,
    /// An inpatient stay.
    Inpatient,
}

pub struct Profile {
    pub setting: Setting,
    /// Primary diagnosis codes, one chosen per visit.
    pub dx: &'static [&'static str],
    pub gender: Option<Gender>,
    /// Ages (inclusive) the profile applies to.
    pub ages: (i32, i32),
    /// Chronic: percent of the eldest with the condition; otherwise a relative frequency.
    pub weight: u32,
    pub drugs: &'static [&'static str],
    pub tests: &'static [&'static str],
    pub procedures: &'static [&'static str],
    pub materials: &'static [&'static str],
    /// Inpatient length of stay in days (inclusive range).
    pub stay: (i32, i32),
    /// Lowest hospital level that admits it.
    pub level: i32,
}

const BASE: Profile = Profile {
    setting: Setting::Acute,
    dx: &[],
    gender: None,
    ages: (0, 120),
    weight: 0,
    drugs: &[],
    tests: &[],
    procedures: &[],
    materials: &[],
    stay: (0, 0),
    level: 1,
};

pub const PROFILES: &[Profile] = &[
    // Chronic conditions (慢病).
    Profile {
        setting: Setting::Chronic,
        dx: &["I10.x00"],
        ages: (35, 120),
        weight: 26,
        drugs: &[
            "苯磺酸氨氯地平",
            "缬沙坦",
            "硝苯地平",
            "厄贝沙坦",
            "酒石酸美托洛尔",
            "氢氯噻嗪",
        ],
        tests: &["常规心电图检查", "肾功能测定", "电解质测定"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["E11.900"],
        ages: (30, 120),
        weight: 14,
        drugs: &[
            "盐酸二甲双胍",
            "阿卡波糖",
            "格列美脲",
            "甘精胰岛素",
            "磷酸西格列汀",
        ],
        tests: &["葡萄糖测定", "糖化血红蛋白测定", "肾功能测定"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["E78.500"],
        ages: (35, 120),
        weight: 10,
        drugs: &["阿托伐他汀钙", "瑞舒伐他汀钙"],
        tests: &["血脂测定", "肝功能测定"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["I25.103"],
        ages: (45, 120),
        weight: 8,
        drugs: &[
            "阿司匹林",
            "硫酸氢氯吡格雷",
            "单硝酸异山梨酯",
            "阿托伐他汀钙",
            "复方丹参滴丸",
        ],
        tests: &["常规心电图检查", "心脏彩色多普勒超声"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["J44.900"],
        ages: (50, 120),
        weight: 5,
        drugs: &["噻托溴铵", "沙美特罗替卡松"],
        tests: &["肺功能检查", "胸部X线摄影"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["N40.x00"],
        gender: Some(Gender::M),
        ages: (50, 120),
        weight: 10,
        drugs: &["盐酸坦索罗辛", "非那雄胺"],
        tests: &["前列腺特异性抗原测定", "泌尿系彩色多普勒超声"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["M81.900"],
        gender: Some(Gender::F),
        ages: (55, 120),
        weight: 8,
        drugs: &["阿仑膦酸钠", "碳酸钙D3"],
        tests: &["骨密度测定"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["E03.900"],
        ages: (20, 120),
        weight: 2,
        drugs: &["左甲状腺素钠"],
        tests: &["甲状腺功能测定"],
        ..BASE
    },
    Profile {
        setting: Setting::Chronic,
        dx: &["K29.500"],
        ages: (25, 120),
        weight: 3,
        drugs: &["奥美拉唑", "铝碳酸镁", "银杏叶"],
        tests: &["腹部彩色多普勒超声"],
        ..BASE
    },
    // Outpatient episodes.
    Profile {
        dx: &["J06.900"],
        ages: (15, 120),
        weight: 30,
        drugs: &[
            "阿莫西林",
            "头孢克洛",
            "连花清瘟",
            "感冒灵",
            "布洛芬",
            "对乙酰氨基酚",
        ],
        tests: &["血细胞分析(血常规)", "C反应蛋白测定"],
        ..BASE
    },
    Profile {
        dx: &["J06.900", "J02.900"],
        ages: (0, 14),
        weight: 40,
        drugs: &[
            "小儿氨酚黄那敏",
            "阿莫西林",
            "头孢克洛",
            "布洛芬",
            "对乙酰氨基酚",
        ],
        tests: &["血细胞分析(血常规)", "C反应蛋白测定"],
        ..BASE
    },
    Profile {
        dx: &["J20.900"],
        ages: (5, 120),
        weight: 10,
        drugs: &["盐酸氨溴索", "头孢呋辛酯", "阿奇霉素"],
        tests: &["血细胞分析(血常规)", "胸部X线摄影"],
        ..BASE
    },
    Profile {
        dx: &["K29.700"],
        ages: (15, 120),
        weight: 10,
        drugs: &["奥美拉唑", "铝碳酸镁", "枸橼酸莫沙必利"],
        tests: &["腹部彩色多普勒超声", "电子胃镜检查"],
        ..BASE
    },
    Profile {
        dx: &["K52.900"],
        ages: (1, 120),
        weight: 8,
        drugs: &["蒙脱石", "口服补液盐"],
        tests: &["血细胞分析(血常规)"],
        ..BASE
    },
    Profile {
        dx: &["N39.000"],
        ages: (18, 120),
        weight: 6,
        drugs: &["左氧氟沙星", "呋喃妥因", "头孢克洛"],
        tests: &["尿液分析(尿常规)"],
        ..BASE
    },
    Profile {
        dx: &["M54.500"],
        ages: (20, 120),
        weight: 8,
        drugs: &["布洛芬", "双氯芬酸钠", "塞来昔布"],
        tests: &["腰椎X线摄影"],
        ..BASE
    },
    Profile {
        dx: &["L30.900"],
        ages: (1, 120),
        weight: 5,
        drugs: &["糠酸莫米松", "氯雷他定"],
        ..BASE
    },
    Profile {
        dx: &["N76.000"],
        gender: Some(Gender::F),
        ages: (18, 70),
        weight: 5,
        drugs: &["甲硝唑", "克霉唑"],
        tests: &["阴道分泌物检查", "人乳头瘤病毒核酸检测"],
        ..BASE
    },
    // Inpatient stays.
    Profile {
        setting: Setting::Inpatient,
        dx: &["J18.900", "J18.000"],
        weight: 30,
        drugs: &[
            "注射用头孢曲松钠",
            "左氧氟沙星氯化钠注射液",
            "注射用盐酸氨溴索",
            "0.9%氯化钠注射液",
        ],
        tests: &[
            "血细胞分析(血常规)",
            "C反应蛋白测定",
            "降钙素原测定",
            "胸部CT平扫",
        ],
        procedures: &["静脉输液", "雾化吸入", "吸氧"],
        materials: &["一次性使用输液器", "一次性使用静脉留置针"],
        stay: (5, 12),
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["I63.900"],
        ages: (45, 120),
        weight: 14,
        drugs: &[
            "依达拉奉注射液",
            "丁苯酞",
            "阿司匹林",
            "阿托伐他汀钙",
            "0.9%氯化钠注射液",
        ],
        tests: &[
            "头颅磁共振平扫",
            "头颅CT平扫",
            "颈动脉彩色多普勒超声",
            "血脂测定",
        ],
        procedures: &["静脉输液"],
        materials: &["一次性使用输液器"],
        stay: (7, 20),
        level: 2,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["I21.900"],
        ages: (40, 120),
        weight: 6,
        drugs: &["肝素钠注射液", "替格瑞洛", "阿司匹林", "阿托伐他汀钙"],
        tests: &[
            "心肌酶谱测定",
            "心脏彩色多普勒超声",
            "常规心电图检查",
            "凝血功能检查",
        ],
        procedures: &["经皮冠状动脉支架置入术"],
        materials: &["冠状动脉药物洗脱支架", "冠状动脉球囊扩张导管"],
        stay: (5, 12),
        level: 3,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["J44.100"],
        ages: (50, 120),
        weight: 8,
        drugs: &[
            "注射用甲泼尼龙琥珀酸钠",
            "多索茶碱注射液",
            "注射用头孢曲松钠",
        ],
        tests: &["血气分析", "胸部CT平扫", "血细胞分析(血常规)"],
        procedures: &["雾化吸入", "吸氧"],
        materials: &["一次性使用雾化器", "一次性使用吸氧管"],
        stay: (6, 14),
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["K80.200"],
        ages: (20, 90),
        weight: 8,
        drugs: &["注射用头孢唑林钠", "0.9%氯化钠注射液"],
        tests: &["腹部彩色多普勒超声", "肝功能测定", "凝血功能检查"],
        procedures: &["腹腔镜胆囊切除术", "全身麻醉"],
        materials: &["腹腔镜用一次性穿刺器", "可吸收性外科缝线", "引流袋"],
        stay: (4, 8),
        level: 2,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["K35.800"],
        ages: (8, 80),
        weight: 6,
        drugs: &["注射用头孢唑林钠", "0.9%氯化钠注射液"],
        tests: &["血细胞分析(血常规)", "腹部CT平扫"],
        procedures: &["阑尾切除术", "全身麻醉"],
        materials: &["可吸收性外科缝线"],
        stay: (3, 7),
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["O80.000"],
        gender: Some(Gender::F),
        ages: (20, 42),
        weight: 10,
        drugs: &["缩宫素注射液", "0.9%氯化钠注射液"],
        tests: &["产科彩色多普勒超声", "血细胞分析(血常规)"],
        procedures: &["经阴道顺产接生"],
        materials: &["一次性使用导尿管"],
        stay: (2, 4),
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["O82.000"],
        gender: Some(Gender::F),
        ages: (20, 42),
        weight: 8,
        drugs: &["缩宫素注射液", "注射用头孢唑林钠"],
        tests: &["产科彩色多普勒超声", "凝血功能检查"],
        procedures: &["剖宫产术"],
        materials: &["可吸收性外科缝线", "一次性使用导尿管"],
        stay: (4, 7),
        level: 2,
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["S72.000"],
        ages: (60, 120),
        weight: 5,
        drugs: &["注射用头孢唑林钠", "依诺肝素钠注射液"],
        tests: &["髋关节X线摄影", "凝血功能检查"],
        procedures: &["人工髋关节置换术", "全身麻醉"],
        materials: &["人工髋关节假体"],
        stay: (10, 20),
        level: 2,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["H25.900"],
        ages: (55, 120),
        weight: 8,
        tests: &["血细胞分析(血常规)"],
        procedures: &["白内障超声乳化摘除术"],
        materials: &["人工晶状体"],
        stay: (2, 3),
        level: 2,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["I50.900"],
        ages: (55, 120),
        weight: 8,
        drugs: &["呋塞米注射液", "螺内酯", "地高辛"],
        tests: &["B型钠尿肽测定", "心脏彩色多普勒超声", "电解质测定"],
        procedures: &["吸氧"],
        stay: (6, 14),
        level: 2,
        ..BASE
    },
    Profile {
        setting: Setting::Inpatient,
        dx: &["E11.900"],
        ages: (30, 120),
        weight: 6,
        drugs: &["门冬胰岛素注射液", "盐酸二甲双胍"],
        tests: &["糖化血红蛋白测定", "葡萄糖测定", "肾功能测定"],
        stay: (5, 10),
        ..BASE
    },
];

/// A profile with its item lists resolved to catalog groups.
pub struct Care {
    pub profile: &'static Profile,
    pub drugs: Vec<usize>,
    pub tests: Vec<usize>,
    pub procedures: Vec<usize>,
    pub materials: Vec<usize>,
}

impl Care {
    pub fn fits(&self, age: i32, gender: Gender) -> bool {
        let p = self.profile;
        p.ages.0 <= age && age <= p.ages.1 && p.gender.is_none_or(|g| g == gender)
    }
}

/// Every profile with its groups; names the catalog lacks are dropped (a
/// unit test checks there are none).
pub fn resolve(catalog: &Catalog) -> Vec<Care> {
    let groups = |names: &[&str]| names.iter().filter_map(|n| catalog.group_id(n)).collect();
    PROFILES
        .iter()
        .map(|profile| Care {
            profile,
            drugs: groups(profile.drugs),
            tests: groups(profile.tests),
            procedures: groups(profile.procedures),
            materials: groups(profile.materials),
        })
        .collect()
}
