//! Drugs of the catalog (医保药品目录): molecules, forms, price ranges and
//! restrictions. Profiles refer to them by `name`.

use super::super::model::Gender::{F, M};
use super::super::model::PayClass::{A, B, C};
use super::spec::Usage::{Acute, Chronic, Topical, Ward};
use super::spec::{DrugSpec, FREE, Limit};

const DIABETES: &[&str] = &["E10", "E11", "E13", "E14"];
const VASCULAR: &[&str] = &["I20", "I21", "I25", "I63", "I70"];
const CORONARY: &[&str] = &["I20", "I21", "I24"];
const AIRWAYS: &[&str] = &["J44", "J45"];
const STROKE: &[&str] = &["I63"];

const fn dx(prefixes: &'static [&'static str]) -> Limit {
    Limit {
        dx: Some(prefixes),
        ..FREE
    }
}

const fn days(n: i32) -> Limit {
    Limit {
        days: Some(n),
        ..FREE
    }
}

const fn daily(n: i64) -> Limit {
    Limit {
        daily: Some(n),
        ..FREE
    }
}

const fn capped() -> Limit {
    Limit {
        capped: true,
        days: Some(30),
        ..FREE
    }
}

#[rustfmt::skip]
pub const DRUGS: &[DrugSpec] = &[
    // Long-term treatment of chronic disease.
    DrugSpec { name: "苯磺酸氨氯地平", atc: "XC08CA", forms: &["片"], fen: (800, 3_500), class: A, usage: Chronic, limit: capped() },
    DrugSpec { name: "缬沙坦", atc: "XC09CA", forms: &["胶囊", "片"], fen: (1_200, 4_500), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "硝苯地平", atc: "XC08CA", forms: &["控释片", "缓释片"], fen: (1_500, 3_800), class: A, usage: Chronic, limit: days(30) },
    DrugSpec { name: "厄贝沙坦", atc: "XC09CA", forms: &["片"], fen: (900, 3_000), class: A, usage: Chronic, limit: capped() },
    DrugSpec { name: "酒石酸美托洛尔", atc: "XC07AB", forms: &["片", "缓释片"], fen: (500, 2_600), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "氢氯噻嗪", atc: "XC03AA", forms: &["片"], fen: (300, 900), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "盐酸二甲双胍", atc: "XA10BA", forms: &["片", "缓释片"], fen: (500, 2_000), class: A, usage: Chronic, limit: capped() },
    DrugSpec { name: "阿卡波糖", atc: "XA10BF", forms: &["片"], fen: (1_800, 6_000), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "格列美脲", atc: "XA10BB", forms: &["片"], fen: (900, 3_200), class: A, usage: Chronic, limit: days(30) },
    DrugSpec { name: "甘精胰岛素", atc: "XA10AE", forms: &["注射液"], fen: (7_000, 18_000), class: B, usage: Chronic, limit: dx(DIABETES) },
    DrugSpec { name: "磷酸西格列汀", atc: "XA10BH", forms: &["片"], fen: (2_500, 9_000), class: B, usage: Chronic, limit: dx(&["E11"]) },
    DrugSpec { name: "阿托伐他汀钙", atc: "XC10AA", forms: &["片"], fen: (700, 3_500), class: B, usage: Chronic, limit: capped() },
    DrugSpec { name: "瑞舒伐他汀钙", atc: "XC10AA", forms: &["片"], fen: (900, 4_000), class: B, usage: Chronic, limit: FREE },
    DrugSpec { name: "阿司匹林", atc: "XB01AC", forms: &["肠溶片"], fen: (400, 1_800), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "硫酸氢氯吡格雷", atc: "XB01AC", forms: &["片"], fen: (1_500, 9_000), class: B, usage: Chronic, limit: dx(VASCULAR) },
    DrugSpec { name: "单硝酸异山梨酯", atc: "XC01DA", forms: &["缓释片", "片"], fen: (1_000, 3_600), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "噻托溴铵", atc: "XR03BB", forms: &["吸入粉雾剂"], fen: (6_000, 16_000), class: B, usage: Chronic, limit: dx(&["J44"]) },
    DrugSpec { name: "沙美特罗替卡松", atc: "XR03AK", forms: &["吸入粉雾剂"], fen: (9_000, 22_000), class: B, usage: Chronic, limit: dx(AIRWAYS) },
    DrugSpec { name: "盐酸坦索罗辛", atc: "XG04CA", forms: &["缓释胶囊"], fen: (2_000, 6_000), class: B, usage: Chronic, limit: Limit { gender: Some(M), ..FREE } },
    DrugSpec { name: "非那雄胺", atc: "XG04CB", forms: &["片"], fen: (2_500, 7_000), class: B, usage: Chronic, limit: Limit { gender: Some(M), dx: Some(&["N40"]), ..FREE } },
    DrugSpec { name: "阿仑膦酸钠", atc: "XM05BA", forms: &["片"], fen: (2_000, 6_500), class: B, usage: Chronic, limit: Limit { dx: Some(&["M80", "M81"]), min_age: Some(40), ..FREE } },
    DrugSpec { name: "碳酸钙D3", atc: "XA12AX", forms: &["片", "颗粒"], fen: (1_500, 4_000), class: B, usage: Chronic, limit: FREE },
    DrugSpec { name: "左甲状腺素钠", atc: "XH03AA", forms: &["片"], fen: (1_200, 3_000), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "奥美拉唑", atc: "XA02BC", forms: &["肠溶胶囊", "肠溶片"], fen: (400, 2_500), class: A, usage: Chronic, limit: days(30) },
    DrugSpec { name: "螺内酯", atc: "XC03DA", forms: &["片"], fen: (300, 1_200), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "地高辛", atc: "XC01AA", forms: &["片"], fen: (300, 1_000), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "复方丹参滴丸", atc: "ZA04AA", forms: &[""], fen: (1_800, 4_500), class: A, usage: Chronic, limit: FREE },
    DrugSpec { name: "银杏叶", atc: "ZA04AB", forms: &["片", "胶囊"], fen: (1_500, 4_200), class: B, usage: Chronic, limit: FREE },
    // Short courses for acute illness.
    DrugSpec { name: "阿莫西林", atc: "XJ01CA", forms: &["胶囊", "片", "颗粒"], fen: (500, 1_800), class: A, usage: Acute, limit: days(7) },
    DrugSpec { name: "头孢克洛", atc: "XJ01DC", forms: &["胶囊", "缓释片", "颗粒"], fen: (1_200, 3_600), class: A, usage: Acute, limit: days(7) },
    DrugSpec { name: "头孢呋辛酯", atc: "XJ01DC", forms: &["片"], fen: (1_000, 3_000), class: A, usage: Acute, limit: days(7) },
    DrugSpec { name: "阿奇霉素", atc: "XJ01FA", forms: &["片", "胶囊", "干混悬剂"], fen: (1_000, 3_200), class: A, usage: Acute, limit: days(7) },
    DrugSpec { name: "左氧氟沙星", atc: "XJ01MA", forms: &["片", "胶囊"], fen: (800, 2_600), class: A, usage: Acute, limit: Limit { min_age: Some(18), days: Some(7), ..FREE } },
    DrugSpec { name: "呋喃妥因", atc: "XJ01XE", forms: &["肠溶片"], fen: (600, 1_500), class: A, usage: Acute, limit: days(7) },
    DrugSpec { name: "连花清瘟", atc: "ZA01AA", forms: &["胶囊", "颗粒"], fen: (1_400, 3_000), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "感冒灵", atc: "ZA01AB", forms: &["颗粒"], fen: (800, 1_800), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "布洛芬", atc: "XM01AE", forms: &["缓释胶囊", "片", "混悬液"], fen: (600, 2_500), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "对乙酰氨基酚", atc: "XN02BE", forms: &["片", "混悬滴剂"], fen: (300, 1_600), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "小儿氨酚黄那敏", atc: "XR05XA", forms: &["颗粒"], fen: (600, 1_500), class: A, usage: Acute, limit: Limit { max_age: Some(14), ..FREE } },
    DrugSpec { name: "盐酸氨溴索", atc: "XR05CB", forms: &["片", "口服溶液"], fen: (500, 2_200), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "蒙脱石", atc: "XA07BC", forms: &["散"], fen: (800, 2_000), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "口服补液盐", atc: "XA07CA", forms: &["散(III)"], fen: (300, 900), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "枸橼酸莫沙必利", atc: "XA03FA", forms: &["片"], fen: (1_000, 3_000), class: B, usage: Acute, limit: FREE },
    DrugSpec { name: "铝碳酸镁", atc: "XA02AD", forms: &["咀嚼片"], fen: (900, 2_400), class: B, usage: Acute, limit: FREE },
    DrugSpec { name: "双氯芬酸钠", atc: "XM01AB", forms: &["缓释片", "肠溶片"], fen: (500, 2_000), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "塞来昔布", atc: "XM01AH", forms: &["胶囊"], fen: (1_500, 4_500), class: B, usage: Acute, limit: Limit { min_age: Some(18), days: Some(14), ..FREE } },
    DrugSpec { name: "氯雷他定", atc: "XR06AX", forms: &["片"], fen: (800, 2_600), class: A, usage: Acute, limit: FREE },
    DrugSpec { name: "糠酸莫米松", atc: "XD07AC", forms: &["乳膏"], fen: (1_200, 3_200), class: B, usage: Topical, limit: FREE },
    DrugSpec { name: "甲硝唑", atc: "XG01AF", forms: &["阴道泡腾片"], fen: (700, 2_000), class: A, usage: Topical, limit: Limit { gender: Some(F), ..FREE } },
    DrugSpec { name: "克霉唑", atc: "XG01AF", forms: &["阴道片"], fen: (600, 1_800), class: A, usage: Topical, limit: Limit { gender: Some(F), ..FREE } },
    // Given on the ward.
    DrugSpec { name: "注射用头孢曲松钠", atc: "XJ01DD", forms: &[""], fen: (300, 2_500), class: A, usage: Ward, limit: daily(4) },
    DrugSpec { name: "注射用头孢唑林钠", atc: "XJ01DB", forms: &[""], fen: (200, 1_500), class: A, usage: Ward, limit: daily(4) },
    DrugSpec { name: "左氧氟沙星氯化钠注射液", atc: "XJ01MA", forms: &[""], fen: (800, 3_000), class: B, usage: Ward, limit: Limit { min_age: Some(18), daily: Some(2), ..FREE } },
    DrugSpec { name: "注射用盐酸氨溴索", atc: "XR05CB", forms: &[""], fen: (500, 3_000), class: B, usage: Ward, limit: daily(3) },
    DrugSpec { name: "注射用甲泼尼龙琥珀酸钠", atc: "XH02AB", forms: &[""], fen: (1_500, 6_000), class: B, usage: Ward, limit: daily(4) },
    DrugSpec { name: "多索茶碱注射液", atc: "XR03DA", forms: &[""], fen: (1_000, 4_000), class: B, usage: Ward, limit: Limit { dx: Some(AIRWAYS), daily: Some(2), ..FREE } },
    DrugSpec { name: "依达拉奉注射液", atc: "XN07XX", forms: &[""], fen: (3_000, 9_000), class: B, usage: Ward, limit: Limit { dx: Some(STROKE), level: Some(2), daily: Some(2), ..FREE } },
    DrugSpec { name: "丁苯酞", atc: "XN07XX", forms: &["软胶囊", "氯化钠注射液"], fen: (6_000, 20_000), class: B, usage: Ward, limit: Limit { dx: Some(STROKE), daily: Some(2), ..FREE } },
    DrugSpec { name: "肝素钠注射液", atc: "XB01AB", forms: &[""], fen: (500, 2_500), class: A, usage: Ward, limit: daily(4) },
    DrugSpec { name: "依诺肝素钠注射液", atc: "XB01AB", forms: &[""], fen: (2_000, 6_000), class: B, usage: Ward, limit: daily(2) },
    DrugSpec { name: "替格瑞洛", atc: "XB01AC", forms: &["片"], fen: (3_000, 9_000), class: B, usage: Ward, limit: dx(CORONARY) },
    DrugSpec { name: "呋塞米注射液", atc: "XC03CA", forms: &[""], fen: (200, 800), class: A, usage: Ward, limit: daily(4) },
    DrugSpec { name: "缩宫素注射液", atc: "XH01BB", forms: &[""], fen: (300, 1_500), class: A, usage: Ward, limit: Limit { gender: Some(F), daily: Some(4), ..FREE } },
    DrugSpec { name: "门冬胰岛素注射液", atc: "XA10AB", forms: &[""], fen: (4_000, 9_000), class: B, usage: Ward, limit: Limit { dx: Some(DIABETES), daily: Some(2), ..FREE } },
    DrugSpec { name: "0.9%氯化钠注射液", atc: "XB05XA", forms: &[""], fen: (300, 900), class: A, usage: Ward, limit: daily(6) },
    DrugSpec { name: "5%葡萄糖注射液", atc: "XB05BA", forms: &[""], fen: (300, 900), class: A, usage: Ward, limit: daily(4) },
    DrugSpec { name: "注射用美罗培南", atc: "XJ01DH", forms: &[""], fen: (6_000, 20_000), class: B, usage: Ward, limit: Limit { level: Some(2), daily: Some(3), ..FREE } },
    DrugSpec { name: "人血白蛋白", atc: "XB05AA", forms: &[""], fen: (30_000, 60_000), class: B, usage: Ward, limit: Limit { level: Some(2), daily: Some(4), ..FREE } },
    DrugSpec { name: "注射用奥美拉唑钠", atc: "XA02BC", forms: &[""], fen: (1_000, 4_000), class: B, usage: Ward, limit: dx(&["K25", "K26", "K92"]) },
    // Listed but not paid by the fund (丙类).
    DrugSpec { name: "复合维生素B", atc: "XA11EA", forms: &["片"], fen: (300, 1_200), class: C, usage: Acute, limit: FREE },
    DrugSpec { name: "维生素E", atc: "XA11HA", forms: &["软胶囊"], fen: (800, 3_000), class: C, usage: Chronic, limit: FREE },
    DrugSpec { name: "硫酸氨基葡萄糖", atc: "XM01AX", forms: &["胶囊"], fen: (3_000, 9_000), class: C, usage: Chronic, limit: FREE },
    DrugSpec { name: "阿胶", atc: "ZA05BA", forms: &["块"], fen: (20_000, 90_000), class: C, usage: Chronic, limit: FREE },
];
