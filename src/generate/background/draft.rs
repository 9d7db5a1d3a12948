//! The lines of the claim being built, and the per-patient memory that keeps
//! them clean: one line per item and day, and at most 60 days of any drug
//! dispensed within 30 days (QTY-02).

use super::super::catalog::{Entry, Scope};
use super::super::claim_tables::LineRow;
use super::super::world::World;

/// QTY-02's window (days, the line's own day included) and limit.
const SUPPLY_WINDOW: i32 = 30;
const SUPPLY_LIMIT: i32 = 60;

/// Days' supply dispensed to the current patient: (entry, day, days).
#[derive(Default)]
pub struct Supplies(Vec<(u32, i32, i32)>);

impl Supplies {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Days of `entry` already dispensed in the window ending on `day`.
    fn in_window(&self, entry: u32, day: i32) -> i32 {
        self.0
            .iter()
            .filter(|&&(e, d, _)| e == entry && day - SUPPLY_WINDOW < d && d <= day)
            .map(|&(_, _, days)| days)
            .sum()
    }
}

/// The claim being built.
pub struct Draft<'w> {
    pub lines: Vec<LineRow<'w>>,
    /// The entry of each line, to keep one line per item and day.
    entries: Vec<u32>,
}

impl<'w> Draft<'w> {
    pub fn new() -> Draft<'w> {
        Draft {
            lines: Vec::with_capacity(64),
            entries: Vec::with_capacity(64),
        }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.entries.clear();
    }

    /// Adds a line unless the item is already billed on that day.
    fn push(&mut self, entry: u32, line: LineRow<'w>) -> bool {
        let repeated = self
            .entries
            .iter()
            .zip(&self.lines)
            .any(|(&e, l)| e == entry && l.date == line.date);
        if !repeated {
            self.entries.push(entry);
            self.lines.push(line);
        }
        !repeated
    }
}

/// How one item is billed.
#[derive(Clone, Copy)]
pub struct Bill<'w> {
    pub day: i32,
    /// Thousandths, before the entry's daily maximum.
    pub quantity: i64,
    /// Wanted days' supply (drugs dispensed for home), before the limits.
    pub days: Option<i32>,
    pub level: i32,
    pub doctor: &'w str,
}

/// The first entry of a group usable in `scope`, starting from the patient's
/// preferred maker `preference`.
pub fn usable_entry(
    world: &World,
    group: usize,
    scope: &Scope<'_>,
    preference: u32,
) -> Option<u32> {
    let entries = world.catalog.group(group);
    let start = preference as usize % entries.len();
    (0..entries.len())
        .map(|k| entries[(start + k) % entries.len()])
        .find(|&e| world.catalog.entries[e as usize].usable(scope))
}

/// Bills `entry` as `bill` says, within its quantity and supply limits;
/// false when nothing could be billed.
pub fn bill_entry<'w>(
    world: &'w World,
    draft: &mut Draft<'w>,
    supplies: &mut Supplies,
    entry: u32,
    bill: &Bill<'w>,
) -> bool {
    let item: &'w Entry = &world.catalog.entries[entry as usize];
    let days_supply = match bill.days {
        Some(wanted) => {
            let room = SUPPLY_LIMIT - supplies.in_window(entry, bill.day);
            let days = item.days(wanted).min(room);
            if days <= 0 {
                return false;
            }
            Some(days)
        }
        None => None,
    };
    let line = LineRow {
        item_code: &item.code,
        item_type: item.item_type,
        date: bill.day,
        quantity: item.daily_qty(bill.quantity),
        unit_price: item.unit_price(bill.level),
        days_supply,
        doctor_id: bill.doctor,
    };
    let added = draft.push(entry, line);
    if let (true, Some(days)) = (added, days_supply) {
        supplies.0.push((entry, bill.day, days));
    }
    added
}
