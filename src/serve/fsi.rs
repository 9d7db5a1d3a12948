//! The national detail-review interface (docs/api.md, "The national
//! interface"): reading a 3101/3102 request into claims of the data
//! contract, and writing the
//! flags back as `output.result[]`. The mapping table is in docs/api.md;
//! `HEADER_FIELDS` and `LINE_FIELDS` below are the same table in code.
//!
//! Values arrive as strings (numbers are accepted too). A field the
//! mapping uses that is missing, of the wrong type or outside its
//! dictionary is an error naming the national field, e.g.
//! `input.data.patient_dtos[0].fsi_encounter_dtos[0].fsi_order_dtos[2].hilist_type`.
//! Fields the mapping does not use are ignored.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};
use xxhash_rust::xxh3::xxh3_64;

use super::api::{FieldError, LINES, kind};
use crate::flags::Flag;
use crate::ir::Ruleset;
use crate::ir::text::{is_plain_decimal, parse_date_exact, parse_timestamp_exact};

/// Contract column of `claims` <- national field of an encounter.
pub const HEADER_FIELDS: [(&str, &str); 12] = [
    ("claim_id", "mdtrt_id"),
    ("patient_id", "patn_id"),
    ("provider_id", "medins_id"),
    ("visit_type", "med_mdtrt_type"),
    ("admit_date", "adm_date"),
    ("discharge_date", "dscg_date"),
    ("primary_dx", "dscg_main_dise_codg"),
    ("secondary_dx", "fsi_diagnose_dtos"),
    ("total_amount", "medfee_sumamt"),
    ("fund_amount", "hifp_payamt"),
    ("settle_time", "inf_time"),
    ("treat_region", "medins_admdvs"),
];

/// Contract column of `claim_items` <- national field of an order.
pub const LINE_FIELDS: [(&str, &str); 10] = [
    ("line_no", "rx_id"),
    ("item_code", "hilist_code"),
    ("item_type", "hilist_type"),
    ("service_date", "drord_begn_date"),
    ("quantity", "cnt"),
    ("unit_price", "pric"),
    ("amount", "sumamt"),
    ("days_supply", "medc_days"),
    ("doctor_id", "drord_dr_codg"),
    ("claim_id", "mdtrt_id"),
];

/// The envelope of a request.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    pub infno: Option<String>,
    pub msgid: Option<String>,
    pub inf_time: Option<String>,
    pub opter: Option<String>,
    pub fixmedins_code: Option<String>,
}

/// One encounter as a contract claim (JSON), with what maps back.
#[derive(Debug, Clone)]
pub struct Encounter {
    /// Where it is in the request, for errors.
    pub path: String,
    pub mdtrt_id: String,
    pub claim: Json,
    /// `rx_id` of each line, by line number − 1.
    pub rx_ids: Vec<String>,
    /// Whether it is the current encounter (its settlement time is the
    /// envelope's `inf_time`).
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct PatientRequest {
    pub patn_id: String,
    pub current: Encounter,
    pub earlier: Vec<Encounter>,
}

/// A 3101 / 3102 request.
#[derive(Debug, Clone)]
pub struct ReviewRequest {
    pub envelope: Envelope,
    pub task_id: Option<String>,
    pub rule_ids: Vec<String>,
    pub patients: Vec<PatientRequest>,
}

/// One feedback entry of a 3103 request.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub warn_rslt_id: String,
    pub dspo_way: String,
    pub dspo_way_rea: Option<String>,
}

/// A JSON object and where it is.
struct Node<'a> {
    map: &'a Map<String, Json>,
    path: String,
}

impl<'a> Node<'a> {
    fn root(json: &'a Json) -> Result<Node<'a>, FieldError> {
        let map = json.as_object().ok_or_else(|| {
            FieldError::new(
                "",
                format!(
                    "expected a JSON object (the national envelope), found {}",
                    kind(json)
                ),
            )
        })?;
        Ok(Node {
            map,
            path: String::new(),
        })
    }

    fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// A text field: a string or a number; empty or null is absent.
    fn text(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Json::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(FieldError::new(
                self.field(name),
                format!("expected a string, found {}", kind(other)),
            )),
        }
    }

    fn required(&self, name: &str) -> Result<String, FieldError> {
        self.text(name)?
            .ok_or_else(|| FieldError::new(self.field(name), "is required"))
    }

    fn child(&self, name: &str) -> Result<Node<'a>, FieldError> {
        match self.map.get(name) {
            Some(Json::Object(map)) => Ok(Node {
                map,
                path: self.field(name),
            }),
            None | Some(Json::Null) => Err(FieldError::new(self.field(name), "is required")),
            Some(other) => Err(FieldError::new(
                self.field(name),
                format!("expected an object, found {}", kind(other)),
            )),
        }
    }

    fn list(&self, name: &str) -> Result<Vec<Node<'a>>, FieldError> {
        let items = match self.map.get(name) {
            None | Some(Json::Null) => return Ok(Vec::new()),
            Some(Json::Array(items)) => items,
            Some(other) => {
                return Err(FieldError::new(
                    self.field(name),
                    format!("expected an array, found {}", kind(other)),
                ));
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{}[{i}]", self.field(name));
                match item {
                    Json::Object(map) => Ok(Node { map, path }),
                    other => Err(FieldError::new(
                        path,
                        format!("expected an object, found {}", kind(other)),
                    )),
                }
            })
            .collect()
    }

    /// A list of text values (`rule_ids`): an array of strings; a single
    /// string is refused rather than guessed at (`"DUP-01,CAP-01"`).
    fn texts(&self, name: &str) -> Result<Vec<String>, FieldError> {
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(String::from).ok_or_else(|| {
                        FieldError::new(
                            format!("{}[{i}]", self.field(name)),
                            format!("expected a string, found {}", kind(v)),
                        )
                    })
                })
                .collect(),
            Some(other) => Err(FieldError::new(
                self.field(name),
                format!(
                    "expected an array of rule ids (like [\"DUP-01\"]), found {}",
                    kind(other)
                ),
            )),
        }
    }

    /// A date field: exactly `yyyy-MM-dd`, or a time `yyyy-MM-dd HH:mm:ss`
    /// whose date part is taken.
    fn date(&self, name: &str) -> Result<Option<String>, FieldError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let read = if text.len() == 10 {
            parse_date_exact(&text).map(|_| ())
        } else {
            parse_timestamp_exact(&text).map(|_| ())
        };
        match read {
            Ok(()) => Ok(Some(text[..10].to_string())),
            Err(e) if e.contains("earliest") => Err(FieldError::new(self.field(name), e)),
            Err(_) => Err(FieldError::new(
                self.field(name),
                format!("\"{text}\" is not a date like 2024-03-01 or 2024-03-01 08:30:00"),
            )),
        }
    }

    /// A time field `yyyy-MM-dd HH:mm:ss`.
    fn time(&self, name: &str) -> Result<Option<String>, FieldError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        parse_timestamp_exact(&text)
            .map(|_| Some(text))
            .map_err(|e| FieldError::new(self.field(name), e))
    }

    /// A decimal in plain notation (`12.50`; no `1e5`, no `1_000`).
    fn decimal(&self, name: &str) -> Result<Option<Decimal>, FieldError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        is_plain_decimal(&text)
            .then(|| Decimal::from_str(&text).ok())
            .flatten()
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(
                    self.field(name),
                    format!("\"{text}\" is not a decimal in plain notation like 12.50"),
                )
            })
    }

    /// A dictionary code among `allowed` (code, meaning).
    fn code(&self, name: &str, allowed: &[(&str, &str)]) -> Result<Option<String>, FieldError> {
        let Some(code) = self.text(name)? else {
            return Ok(None);
        };
        if allowed.iter().any(|(c, _)| *c == code) {
            return Ok(Some(code));
        }
        let list: Vec<String> = allowed.iter().map(|(c, m)| format!("{c} ({m})")).collect();
        Err(FieldError::new(
            self.field(name),
            format!("\"{code}\" is not one of {}", list.join(", ")),
        ))
    }
}

fn envelope(root: &Node) -> Result<Envelope, FieldError> {
    Ok(Envelope {
        infno: root.text("infno")?,
        msgid: root.text("msgid")?,
        inf_time: root.time("inf_time")?,
        opter: root.text("opter")?,
        fixmedins_code: root.text("fixmedins_code")?,
    })
}

fn check_infno(root: &Node, env: &Envelope, expected: &str) -> Result<(), FieldError> {
    match &env.infno {
        Some(infno) if infno != expected => Err(FieldError::new(
            root.field("infno"),
            format!("\"{infno}\" was sent to the {expected} endpoint"),
        )),
        _ => Ok(()),
    }
}

const TRIG_SCEN: [(&str, &str); 9] = [
    ("1", "outpatient registration"),
    ("2", "outpatient charge entry"),
    ("3", "admission"),
    ("4", "inpatient charge entry"),
    ("5", "inpatient order"),
    ("6", "outpatient settlement"),
    ("7", "outpatient pre-settlement"),
    ("8", "inpatient settlement"),
    ("9", "inpatient pre-settlement"),
];

const MED_MDTRT_TYPE: [(&str, &str); 3] =
    [("1", "outpatient"), ("2", "inpatient"), ("3", "pharmacy")];

/// Reads a 3101 or 3102 request (`infno` the transaction it was sent to).
/// `now` is the service's clock (Beijing time): the settlement time of a
/// current encounter sent without `inf_time`.
pub fn review_request(
    json: &Json,
    infno: &str,
    ruleset: &Ruleset,
    now: &str,
) -> Result<ReviewRequest, FieldError> {
    let root = Node::root(json)?;
    let envelope = envelope(&root)?;
    check_infno(&root, &envelope, infno)?;
    let data = root.child("input")?.child("data")?;
    data.code("trig_scen", &TRIG_SCEN)?;
    let rule_ids = data.texts("rule_ids")?;
    for (i, id) in rule_ids.iter().enumerate() {
        let known = ruleset
            .rules
            .iter()
            .any(|r| r.id == *id || r.national_code.as_deref() == Some(id));
        if !known {
            return Err(FieldError::new(
                format!("{}[{i}]", data.field("rule_ids")),
                format!("\"{id}\" names no rule of the ruleset"),
            ));
        }
    }
    let task_id = data.text("task_id")?;
    let patient_nodes = data.list("patient_dtos")?;
    if patient_nodes.is_empty() {
        return Err(FieldError::new(
            data.field("patient_dtos"),
            "needs at least one insured person",
        ));
    }
    let mut patients = Vec::new();
    // An encounter is sent once: a second with the same mdtrt_id would
    // silently replace the first (as history, or as the current one).
    let mut seen: HashMap<String, String> = HashMap::new();
    // One entry per insured person: two would each be judged without the
    // other's encounters as history.
    let mut persons: HashMap<String, String> = HashMap::new();
    for patient in &patient_nodes {
        let request = patient_request(patient, &envelope, now)?;
        let field = patient.field("patn_id");
        if let Some(first) = persons.insert(request.patn_id.clone(), field.clone()) {
            return Err(FieldError::new(
                field,
                format!(
                    "\"{}\" is the patn_id of {first} too; send each insured person once, with all their encounters",
                    request.patn_id
                ),
            ));
        }
        for e in std::iter::once(&request.current).chain(&request.earlier) {
            if let Some(first) = seen.insert(e.mdtrt_id.clone(), e.path.clone()) {
                return Err(FieldError::new(
                    format!("{}.mdtrt_id", e.path),
                    format!(
                        "\"{}\" is the mdtrt_id of {first} too; each encounter is sent once",
                        e.mdtrt_id
                    ),
                ));
            }
        }
        patients.push(request);
    }
    Ok(ReviewRequest {
        envelope,
        task_id,
        rule_ids,
        patients,
    })
}

fn patient_request(
    patient: &Node,
    envelope: &Envelope,
    now: &str,
) -> Result<PatientRequest, FieldError> {
    let patn_id = patient.required("patn_id")?;
    patient.code(
        "gend",
        &[
            ("0", "unknown"),
            ("1", "male"),
            ("2", "female"),
            ("9", "unstated"),
        ],
    )?;
    let poolarea = patient.text("poolarea")?;
    let encounters = patient.list("fsi_encounter_dtos")?;
    if encounters.is_empty() {
        return Err(FieldError::new(
            patient.field("fsi_encounter_dtos"),
            "needs the current encounter",
        ));
    }
    let current_id = match patient.text("curr_mdtrt_id")? {
        Some(id) => id,
        None if encounters.len() == 1 => encounters[0].required("mdtrt_id")?,
        None => {
            return Err(FieldError::new(
                patient.field("curr_mdtrt_id"),
                "is required when several encounters are sent",
            ));
        }
    };
    let mut current = None;
    let mut earlier = Vec::new();
    for node in &encounters {
        let is_current = node.text("mdtrt_id")?.as_deref() == Some(current_id.as_str());
        let settle = is_current.then_some(now);
        let encounter = encounter(node, &patn_id, poolarea.as_deref(), envelope, settle)?;
        if is_current && current.is_none() {
            current = Some(encounter);
        } else {
            earlier.push(encounter);
        }
    }
    let current = current.ok_or_else(|| {
        FieldError::new(
            patient.field("curr_mdtrt_id"),
            format!("\"{current_id}\" is not the mdtrt_id of any of fsi_encounter_dtos"),
        )
    })?;
    Ok(PatientRequest {
        patn_id,
        current,
        earlier,
    })
}

/// The time of the current encounter's settlement: `inf_time`, else now.
fn settle_time(envelope: &Envelope, now: &str) -> String {
    envelope.inf_time.clone().unwrap_or_else(|| now.to_string())
}

fn encounter(
    node: &Node,
    patn_id: &str,
    poolarea: Option<&str>,
    envelope: &Envelope,
    current: Option<&str>,
) -> Result<Encounter, FieldError> {
    let mdtrt_id = node.required("mdtrt_id")?;
    let visit_type = match node.text("med_mdtrt_type")?.as_deref() {
        Some("4") => {
            return Err(FieldError::new(
                node.field("med_mdtrt_type"),
                "\"4\" (other) has no visit type in the data contract; expected 1 (outpatient), 2 (inpatient) or 3 (pharmacy)",
            ));
        }
        _ => match node.code("med_mdtrt_type", &MED_MDTRT_TYPE)? {
            Some(code) => {
                MED_MDTRT_TYPE
                    .iter()
                    .find(|(c, _)| *c == code)
                    .expect("checked")
                    .1
            }
            None => return Err(FieldError::new(node.field("med_mdtrt_type"), "is required")),
        },
    };
    let adm_date = node
        .date("adm_date")?
        .ok_or_else(|| FieldError::new(node.field("adm_date"), "is required"))?;
    let provider = node
        .text("medins_id")?
        .or_else(|| envelope.fixmedins_code.clone())
        .ok_or_else(|| {
            FieldError::new(
                node.field("medins_id"),
                "is required (or fixmedins_code in the envelope)",
            )
        })?;
    let region = node
        .text("medins_admdvs")?
        .or_else(|| poolarea.map(String::from))
        .ok_or_else(|| {
            FieldError::new(
                node.field("medins_admdvs"),
                "is required (or the person's poolarea)",
            )
        })?;

    // Diagnoses: the main one, then the others in the order sent.
    let mut main = node.text("dscg_main_dise_codg")?;
    let mut others: Vec<String> = Vec::new();
    let diagnoses = node.list("fsi_diagnose_dtos")?;
    let mut flagged_main = None;
    for d in &diagnoses {
        let code = d.required("dise_codg")?;
        d.code("maindise_flag", &[("0", "not main"), ("1", "main")])?;
        d.code("inout_dise_type", &[("1", "admission"), ("2", "discharge")])?;
        if d.text("maindise_flag")?.as_deref() == Some("1") && flagged_main.is_none() {
            flagged_main = Some(code.clone());
        }
        others.push(code);
    }
    if main.is_none() {
        main = flagged_main.or_else(|| others.first().cloned());
    }
    let main = main.ok_or_else(|| {
        FieldError::new(
            node.field("dscg_main_dise_codg"),
            "is required (or a fsi_diagnose_dtos entry with maindise_flag 1)",
        )
    })?;
    let mut secondary: Vec<String> = Vec::new();
    for code in others {
        if code != main && !secondary.contains(&code) {
            secondary.push(code);
        }
    }

    // Orders: the claim's lines, numbered in the order sent.
    let doctor = node.text("dr_codg")?;
    let mut lines = Vec::new();
    let mut rx_ids = Vec::new();
    let mut total = Decimal::ZERO;
    let mut last_order_day = adm_date.clone();
    for (i, order) in node.list("fsi_order_dtos")?.iter().enumerate() {
        let rx_id = order.text("rx_id")?.unwrap_or_else(|| (i + 1).to_string());
        if let Some(first) = rx_ids.iter().position(|r| *r == rx_id) {
            return Err(FieldError::new(
                order.field("rx_id"),
                format!(
                    "\"{rx_id}\" is the rx_id of fsi_order_dtos[{first}] too; it names one order of the encounter"
                ),
            ));
        }
        let item_type = item_type(order)?;
        let code = order.required("hilist_code")?;
        let day = order
            .date("drord_begn_date")?
            .unwrap_or_else(|| adm_date.clone());
        if day > last_order_day {
            last_order_day = day.clone();
        }
        let cnt = order
            .decimal("cnt")?
            .ok_or_else(|| FieldError::new(order.field("cnt"), "is required"))?;
        let pric = order
            .decimal("pric")?
            .ok_or_else(|| FieldError::new(order.field("pric"), "is required"))?;
        let amount = match order.decimal("sumamt")? {
            Some(a) => a,
            None => (cnt * pric).round_dp(2),
        };
        total += amount;
        // Digits only: `i64::from_str` would also take a sign (`+5`).
        let days_supply = match order.text("medc_days")? {
            Some(t) => Json::from(
                t.parse::<i64>()
                    .ok()
                    .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        FieldError::new(
                            order.field("medc_days"),
                            format!("\"{t}\" is not a whole number of days"),
                        )
                    })?,
            ),
            None => Json::Null,
        };
        let doctor_id = order
            .text("drord_dr_codg")?
            .or_else(|| doctor.clone())
            .ok_or_else(|| {
                FieldError::new(
                    order.field("drord_dr_codg"),
                    "is required (or dr_codg of the encounter)",
                )
            })?;
        lines.push(json!({
            "line_no": i + 1,
            "item_code": code,
            "item_type": item_type,
            "service_date": day,
            "quantity": cnt.to_string(),
            "unit_price": pric.to_string(),
            "amount": amount.to_string(),
            "days_supply": days_supply,
            "doctor_id": doctor_id,
        }));
        rx_ids.push(rx_id);
    }

    let discharge = match node.date("dscg_date")? {
        Some(d) => d,
        None if visit_type == "inpatient" => last_order_day,
        None => adm_date.clone(),
    };
    let total = node.decimal("medfee_sumamt")?.unwrap_or(total);
    let fund = node.decimal("hifp_payamt")?.unwrap_or(Decimal::ZERO);
    let settle = match current {
        Some(now) => settle_time(envelope, now),
        None => match node.time("setl_time")? {
            Some(t) => t,
            None => format!("{discharge} 00:00:00"),
        },
    };
    let claim = json!({
        "claim_id": mdtrt_id,
        "patient_id": patn_id,
        "provider_id": provider,
        "visit_type": visit_type,
        "admit_date": adm_date,
        "discharge_date": discharge,
        "primary_dx": main,
        "secondary_dx": if secondary.is_empty() { Json::Null } else { json!(secondary) },
        "total_amount": total.to_string(),
        "fund_amount": fund.to_string(),
        "settle_time": settle,
        "treat_region": region,
        LINES: lines,
    });
    Ok(Encounter {
        path: node.path.clone(),
        mdtrt_id,
        claim,
        rx_ids,
        current: current.is_some(),
    })
}

/// `hilist_type`: 1xx drugs, 2xx services, 3xx materials.
fn item_type(order: &Node) -> Result<&'static str, FieldError> {
    let code = order
        .text("hilist_type")?
        .ok_or_else(|| FieldError::new(order.field("hilist_type"), "is required"))?;
    let digits = code.len() == 3 && code.chars().all(|c| c.is_ascii_digit());
    match code.chars().next() {
        Some('1') if digits => Ok("drug"),
        Some('2') if digits => Ok("service"),
        Some('3') if digits => Ok("material"),
        _ => Err(FieldError::new(
            order.field("hilist_type"),
            format!(
                "\"{code}\" is not a drug (1xx, e.g. 101), service (2xx, e.g. 201) or material (3xx, e.g. 301) code"
            ),
        )),
    }
}

/// Names the national field behind a contract field error of an encounter.
pub fn national_error(encounter: &Encounter, e: FieldError) -> FieldError {
    let national = |column: &str, table: &[(&str, &str)]| {
        table
            .iter()
            .find(|(c, _)| *c == column)
            .map_or(column.to_string(), |(_, n)| n.to_string())
    };
    let field = if let Some(rest) = e.field.strip_prefix(&format!("{LINES}[")) {
        let (index, column) = rest.split_once("].").unwrap_or((rest, ""));
        let column = column.split('[').next().unwrap_or(column);
        format!(
            "{}.fsi_order_dtos[{index}].{}",
            encounter.path,
            national(column, &LINE_FIELDS)
        )
    } else {
        let column = e.field.split('[').next().unwrap_or(&e.field);
        match column {
            // The current encounter's comes from the envelope; an earlier
            // one's from its own setl_time.
            "settle_time" if encounter.current => "inf_time".to_string(),
            "settle_time" => format!("{}.setl_time", encounter.path),
            _ => format!("{}.{}", encounter.path, national(column, &HEADER_FIELDS)),
        }
    };
    FieldError::new(
        field,
        format!("{} (as contract field {})", e.message, e.field),
    )
}

/// `output.result[]` for the flags of one patient's current encounter,
/// one result per rule.
pub fn results(
    ruleset: &Ruleset,
    patient: &PatientRequest,
    flags: &[Flag],
    request: &ReviewRequest,
) -> Vec<Json> {
    let encounter = &patient.current;
    let wanted = |rule_id: &str| {
        request.rule_ids.is_empty()
            || request.rule_ids.iter().any(|id| {
                id == rule_id
                    || ruleset
                        .rule(rule_id)
                        .and_then(|r| r.national_code.as_deref())
                        == Some(id)
            })
    };
    let mut out = Vec::new();
    let mut rule_ids: Vec<&str> = flags.iter().map(|f| &*f.rule_id).collect();
    rule_ids.dedup();
    for rule_id in rule_ids.into_iter().filter(|id| wanted(id)) {
        let of_rule: Vec<&Flag> = flags.iter().filter(|f| &*f.rule_id == rule_id).collect();
        let rule = ruleset.rule(rule_id);
        let jr_id = format!(
            "JR{:016x}",
            xxh3_64(
                format!(
                    "{}\u{1f}{}\u{1f}{}\u{1f}{rule_id}",
                    ruleset.hash, patient.patn_id, encounter.mdtrt_id
                )
                .as_bytes()
            )
        );
        let mut details = Vec::new();
        // The rule's amount is what its flags put at stake: each flagged
        // line's and each flagged claim's, as the flags say.
        let amount: Decimal = of_rule.iter().filter_map(|f| f.amount_at_stake).sum();
        let computed = of_rule.iter().any(|f| f.amount_at_stake.is_some());
        for flag in &of_rule {
            let Some(line_no) = flag.line_no else {
                continue;
            };
            let index = (line_no as usize).wrapping_sub(1);
            let rx_id = encounter
                .rx_ids
                .get(index)
                .cloned()
                .unwrap_or_else(|| line_no.to_string());
            let line_amount = flag.amount_at_stake.unwrap_or(Decimal::ZERO);
            details.push(json!({
                "jrd_id": format!("{jr_id}-{line_no}"),
                "patn_id": patient.patn_id,
                "mdtrt_id": encounter.mdtrt_id,
                "rx_id": rx_id,
                "vola_item_type": "1",
                "vola_amt": crate::flags::cents_text(line_amount),
            }));
        }
        let mut messages: Vec<&str> = Vec::new();
        for f in &of_rule {
            if !messages.contains(&f.message.as_str()) {
                messages.push(&f.message);
            }
        }
        let first = of_rule[0];
        out.push(json!({
            "jr_id": jr_id,
            "rule_id": rule_id,
            "rule_name": first.rule_name,
            "vola_cont": messages.join("；"),
            "patn_id": patient.patn_id,
            "mdtrt_id": encounter.mdtrt_id,
            "vola_amt": crate::flags::cents_text(amount),
            "vola_amt_stas": if computed { "1" } else { "0" },
            "sev_deg": sev_deg(&first.severity),
            "vola_evid": rule.and_then(|r| r.basis.clone()).unwrap_or_default(),
            "vola_bhvr_type": first.category,
            "task_id": request.task_id,
            "judge_result_detail_dtos": details,
        }));
    }
    out
}

/// The severity as the interface's dictionary code.
pub fn sev_deg(severity: &str) -> &'static str {
    match severity {
        "high" => "1",
        "medium" => "2",
        _ => "3",
    }
}

/// An amount as the interface writes it: to the cent, as flags hold it.
/// Reads a 3103 request: the doctor's handling of earlier results.
pub fn feedback_request(json: &Json) -> Result<(Envelope, String, Vec<Feedback>), FieldError> {
    let root = Node::root(json)?;
    let envelope = envelope(&root)?;
    check_infno(&root, &envelope, "3103")?;
    let data = root.child("input")?.child("data")?;
    let warn_type = data
        .code("warn_type", &[("1", "before"), ("2", "during")])?
        .ok_or_else(|| FieldError::new(data.field("warn_type"), "is required"))?;
    let warns = data.list("warns")?;
    if warns.is_empty() {
        return Err(FieldError::new(
            data.field("warns"),
            "needs at least one entry",
        ));
    }
    let mut out = Vec::new();
    for w in &warns {
        let warn_rslt_id = w.required("warn_rslt_id")?;
        let dspo_way = w
            .code(
                "dspo_way",
                &[
                    ("1", "go on with the order"),
                    ("2", "go back and change it"),
                ],
            )?
            .ok_or_else(|| FieldError::new(w.field("dspo_way"), "is required"))?;
        let dspo_way_rea = w.text("dspo_way_rea")?;
        if dspo_way == "1" && dspo_way_rea.is_none() {
            return Err(FieldError::new(
                w.field("dspo_way_rea"),
                "is required when dspo_way is 1 (going on with the order)",
            ));
        }
        out.push(Feedback {
            warn_rslt_id,
            dspo_way,
            dspo_way_rea,
        });
    }
    Ok((envelope, warn_type, out))
}
