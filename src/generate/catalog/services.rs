//! Services (医疗服务项目) and materials (医用耗材) of the catalog.

use super::super::model::Gender::{self, F, M};
use super::super::model::PayClass::{A, B, C};
use super::spec::Usage::{Consult, Daily, Hourly, Procedure, Test};
use super::spec::{FREE, Limit, MaterialSpec, ServiceSpec};

const ONE_A_DAY: Limit = Limit {
    daily: Some(1),
    ..FREE
};

const fn at_level(level: i32) -> Limit {
    Limit {
        level: Some(level),
        ..FREE
    }
}

const fn only(gender: Gender) -> Limit {
    Limit {
        gender: Some(gender),
        ..FREE
    }
}

/// The consultation family UPC-01 audits: tier 1 ordinary, 2 associate chief, 3 chief physician.
pub const CONSULT_FAMILY: &str = "consult";

#[rustfmt::skip]
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec { name: "普通门诊诊查费", chapter: "001102", fen: 1_000, class: A, usage: Consult, family: Some((CONSULT_FAMILY, 1)), limit: ONE_A_DAY },
    ServiceSpec { name: "副主任医师诊查费", chapter: "001102", fen: 2_500, class: A, usage: Consult, family: Some((CONSULT_FAMILY, 2)), limit: ONE_A_DAY },
    ServiceSpec { name: "主任医师诊查费", chapter: "001102", fen: 4_000, class: A, usage: Consult, family: Some((CONSULT_FAMILY, 3)), limit: ONE_A_DAY },
    ServiceSpec { name: "急诊诊查费", chapter: "001102", fen: 1_500, class: A, usage: Consult, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "住院诊查费", chapter: "001103", fen: 2_000, class: A, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "三人间病房床位费", chapter: "001107", fen: 5_000, class: A, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "二人间病房床位费", chapter: "001107", fen: 8_000, class: A, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "特需单人间病房床位费", chapter: "001107", fen: 40_000, class: C, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "重症监护病房床位费", chapter: "001107", fen: 20_000, class: A, usage: Daily, family: None, limit: Limit { level: Some(2), daily: Some(1), ..FREE } },
    ServiceSpec { name: "一级护理", chapter: "001109", fen: 3_000, class: A, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "二级护理", chapter: "001109", fen: 2_000, class: A, usage: Daily, family: None, limit: ONE_A_DAY },
    ServiceSpec { name: "特级护理", chapter: "001109", fen: 8_000, class: A, usage: Daily, family: None, limit: Limit { level: Some(2), daily: Some(1), ..FREE } },
    ServiceSpec { name: "血细胞分析(血常规)", chapter: "002501", fen: 2_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "尿液分析(尿常规)", chapter: "002501", fen: 1_500, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "阴道分泌物检查", chapter: "002501", fen: 1_500, class: A, usage: Test, family: None, limit: only(F) },
    ServiceSpec { name: "肝功能测定", chapter: "002503", fen: 6_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "肾功能测定", chapter: "002503", fen: 4_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "血脂测定", chapter: "002503", fen: 4_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "葡萄糖测定", chapter: "002503", fen: 500, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "糖化血红蛋白测定", chapter: "002503", fen: 6_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "C反应蛋白测定", chapter: "002505", fen: 3_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "降钙素原测定", chapter: "002505", fen: 12_000, class: B, usage: Test, family: None, limit: at_level(2) },
    ServiceSpec { name: "电解质测定", chapter: "002503", fen: 3_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "凝血功能检查", chapter: "002502", fen: 5_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "心肌酶谱测定", chapter: "002503", fen: 6_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "B型钠尿肽测定", chapter: "002503", fen: 15_000, class: B, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "血气分析", chapter: "002503", fen: 8_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "甲状腺功能测定", chapter: "002504", fen: 9_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "前列腺特异性抗原测定", chapter: "002504", fen: 8_000, class: A, usage: Test, family: None, limit: only(M) },
    ServiceSpec { name: "人乳头瘤病毒核酸检测", chapter: "002506", fen: 20_000, class: B, usage: Test, family: None, limit: only(F) },
    ServiceSpec { name: "乙型肝炎表面抗原测定", chapter: "002505", fen: 2_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "胸部X线摄影", chapter: "002101", fen: 8_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "腰椎X线摄影", chapter: "002101", fen: 8_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "髋关节X线摄影", chapter: "002101", fen: 8_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "头颅CT平扫", chapter: "002103", fen: 20_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "胸部CT平扫", chapter: "002103", fen: 22_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "腹部CT平扫", chapter: "002103", fen: 22_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "头颅磁共振平扫", chapter: "002104", fen: 60_000, class: B, usage: Test, family: None, limit: at_level(2) },
    ServiceSpec { name: "腹部彩色多普勒超声", chapter: "002202", fen: 16_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "心脏彩色多普勒超声", chapter: "002202", fen: 25_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "颈动脉彩色多普勒超声", chapter: "002202", fen: 16_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "泌尿系彩色多普勒超声", chapter: "002202", fen: 12_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "产科彩色多普勒超声", chapter: "002202", fen: 15_000, class: A, usage: Test, family: None, limit: only(F) },
    ServiceSpec { name: "常规心电图检查", chapter: "002301", fen: 2_500, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "动态心电图", chapter: "002301", fen: 15_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "肺功能检查", chapter: "002302", fen: 12_000, class: A, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "骨密度测定", chapter: "002105", fen: 10_000, class: B, usage: Test, family: None, limit: FREE },
    ServiceSpec { name: "电子胃镜检查", chapter: "002303", fen: 30_000, class: A, usage: Test, family: None, limit: at_level(2) },
    ServiceSpec { name: "正电子发射计算机断层显像(PET-CT)", chapter: "002106", fen: 700_000, class: B, usage: Test, family: None, limit: at_level(3) },
    ServiceSpec { name: "静脉输液", chapter: "001201", fen: 500, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "肌肉注射", chapter: "001201", fen: 300, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "雾化吸入", chapter: "001202", fen: 1_000, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "吸氧", chapter: "001203", fen: 300, class: A, usage: Hourly, family: None, limit: Limit { daily: Some(24), ..FREE } },
    ServiceSpec { name: "换药", chapter: "001204", fen: 2_000, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "血液透析", chapter: "003105", fen: 40_000, class: A, usage: Procedure, family: None, limit: at_level(2) },
    ServiceSpec { name: "全身麻醉", chapter: "003302", fen: 150_000, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "经皮冠状动脉支架置入术", chapter: "003107", fen: 600_000, class: A, usage: Procedure, family: None, limit: at_level(3) },
    ServiceSpec { name: "白内障超声乳化摘除术", chapter: "003110", fen: 300_000, class: A, usage: Procedure, family: None, limit: at_level(2) },
    ServiceSpec { name: "腹腔镜胆囊切除术", chapter: "003310", fen: 250_000, class: A, usage: Procedure, family: None, limit: at_level(2) },
    ServiceSpec { name: "阑尾切除术", chapter: "003310", fen: 150_000, class: A, usage: Procedure, family: None, limit: FREE },
    ServiceSpec { name: "经阴道顺产接生", chapter: "003313", fen: 100_000, class: A, usage: Procedure, family: None, limit: only(F) },
    ServiceSpec { name: "剖宫产术", chapter: "003313", fen: 250_000, class: A, usage: Procedure, family: None, limit: only(F) },
    ServiceSpec { name: "经尿道前列腺电切术", chapter: "003311", fen: 300_000, class: A, usage: Procedure, family: None, limit: Limit { gender: Some(M), level: Some(2), ..FREE } },
    ServiceSpec { name: "人工髋关节置换术", chapter: "003315", fen: 500_000, class: A, usage: Procedure, family: None, limit: at_level(2) },
];

#[rustfmt::skip]
pub const MATERIALS: &[MaterialSpec] = &[
    MaterialSpec { name: "一次性使用无菌注射器", class_code: "0101", sizes: &["2ml", "5ml", "10ml", "20ml"], fen: 50, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用输液器", class_code: "0101", sizes: &["带针", "精密过滤"], fen: 300, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用静脉留置针", class_code: "0102", sizes: &["18G", "20G", "22G", "24G"], fen: 1_500, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用导尿管", class_code: "0103", sizes: &["双腔", "三腔"], fen: 1_000, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用吸氧管", class_code: "0104", sizes: &["鼻导管", "面罩"], fen: 500, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用雾化器", class_code: "0104", sizes: &["成人", "儿童"], fen: 1_500, class: A, limit: FREE },
    MaterialSpec { name: "医用纱布敷料", class_code: "0105", sizes: &["5cm×5cm", "10cm×10cm"], fen: 200, class: A, limit: FREE },
    MaterialSpec { name: "可吸收性外科缝线", class_code: "0201", sizes: &["2-0", "3-0", "4-0"], fen: 6_000, class: B, limit: FREE },
    MaterialSpec { name: "引流袋", class_code: "0202", sizes: &["抗反流型", "普通型"], fen: 300, class: A, limit: FREE },
    MaterialSpec { name: "一次性使用气管插管", class_code: "0203", sizes: &["7.0", "7.5", "8.0"], fen: 5_000, class: A, limit: FREE },
    MaterialSpec { name: "中心静脉导管", class_code: "0204", sizes: &["单腔", "双腔"], fen: 30_000, class: B, limit: at_level(2) },
    MaterialSpec { name: "腹腔镜用一次性穿刺器", class_code: "0301", sizes: &["5mm", "10mm", "12mm"], fen: 50_000, class: B, limit: at_level(2) },
    MaterialSpec { name: "冠状动脉药物洗脱支架", class_code: "0302", sizes: &["2.5×18mm", "3.0×24mm", "3.5×28mm"], fen: 70_000, class: B, limit: Limit { level: Some(3), capped: true, ..FREE } },
    MaterialSpec { name: "冠状动脉球囊扩张导管", class_code: "0302", sizes: &["2.0mm", "2.5mm", "3.0mm"], fen: 30_000, class: B, limit: Limit { level: Some(3), capped: true, ..FREE } },
    MaterialSpec { name: "人工晶状体", class_code: "0303", sizes: &["单焦点", "非球面"], fen: 80_000, class: B, limit: Limit { level: Some(2), capped: true, ..FREE } },
    MaterialSpec { name: "人工髋关节假体", class_code: "0304", sizes: &["生物型", "骨水泥型"], fen: 700_000, class: B, limit: Limit { level: Some(2), capped: true, ..FREE } },
    MaterialSpec { name: "心脏起搏器", class_code: "0305", sizes: &["单腔", "双腔"], fen: 2_500_000, class: B, limit: at_level(3) },
    MaterialSpec { name: "医用弹力袜", class_code: "0401", sizes: &["中筒", "长筒"], fen: 15_000, class: C, limit: FREE },
];
