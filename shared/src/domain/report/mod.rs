//! Reports: what answers and tickets add up to, exactly.
//!
//! - [`sums`]: the running totals the stream consumer keeps per survey, business day and
//!   breakdown, as exact integers that merge by addition.
//! - [`stats`]: the formulas (CSAT, NPS and its interval, means, Pearson, the comparison
//!   tests) over those sums.
//! - [`slots`]: where an answer, an invitation or a ticket counts (business day, breakdown)
//!   and what its change adds there (new minus old).
//! - [`keywords`]: the words of open answers worth counting (Chinese and English).
//! - [`range`]: the days, breakdown and granularity a report request may ask for.

pub mod figures;
pub mod keywords;
pub mod range;
pub mod settings;
pub mod slots;
pub mod stats;
pub mod sums;
