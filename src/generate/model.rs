//! The enumerations of the contract, as the generator uses them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    M,
    F,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::M => "M",
            Gender::F => "F",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insurance {
    Employee,
    Resident,
}

impl Insurance {
    pub fn as_str(self) -> &'static str {
        match self {
            Insurance::Employee => "employee",
            Insurance::Resident => "resident",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitType {
    Outpatient,
    Inpatient,
    Pharmacy,
}

impl VisitType {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitType::Outpatient => "outpatient",
            VisitType::Inpatient => "inpatient",
            VisitType::Pharmacy => "pharmacy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    Drug,
    Service,
    Material,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Drug => "drug",
            ItemType::Service => "service",
            ItemType::Material => "material",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayClass {
    A,
    B,
    /// 丙类: listed but never paid by the fund.
    C,
}

impl PayClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PayClass::A => "A",
            PayClass::B => "B",
            PayClass::C => "C",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Hospital,
    Clinic,
    Pharmacy,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Hospital => "hospital",
            ProviderKind::Clinic => "clinic",
            ProviderKind::Pharmacy => "pharmacy",
        }
    }
}
