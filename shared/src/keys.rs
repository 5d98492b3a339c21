//! Every key and index value of the one table is built here, and only here.
//!
//! Layout (see the README's access-pattern table):
//! - `pk`/`sk` — the item's home.
//! - `gsi1pk`/`gsi1sk` on index `gsi1` — "list things of a kind" (e.g. all surveys).
//! - `due_pk`/`due_at` on the sparse index `due` — work that must happen at a time. `due_pk` is
//!   `<kind>#<shard>` so sweeps Query a handful of small partitions for `due_at <= now`; the
//!   attributes are removed when the work is done, which drops the item from the index.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const DUE_INDEX: &str = "due";
pub const DUE_PK: &str = "due_pk";
pub const DUE_AT: &str = "due_at";
/// Epoch seconds after which DynamoDB may delete the item (retention).
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Number of partitions each kind of due work is spread over.
pub const DUE_SHARDS: u8 = 4;

/// Primary key of one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(self.pk.clone())),
            ("sk".to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// Survey items: one head per survey (listing, latest version) and one immutable item per version.
pub mod survey {
    use super::Key;

    /// `gsi1pk` of every survey head, so `GET /surveys` is one Query.
    pub const LIST: &str = "SURVEY";
    pub const VERSION_PREFIX: &str = "V#";

    pub fn partition(id: &str) -> String {
        format!("SURVEY#{id}")
    }

    pub fn head(id: &str) -> Key {
        Key {
            pk: partition(id),
            sk: "HEAD".into(),
        }
    }

    /// Zero-padded so versions sort numerically and the latest is the last.
    pub fn version(id: &str, version: u32) -> Key {
        Key {
            pk: partition(id),
            sk: format!("{VERSION_PREFIX}{version:010}"),
        }
    }
}

/// A sent invitation's link: found by the hash of its token (the token itself is never stored).
/// It carries what the survey page and the answer need, so opening a link is one GetItem.
pub mod link {
    use super::Key;

    pub fn by_token_hash(token_hash: &str) -> Key {
        Key {
            pk: format!("LINK#{token_hash}"),
            sk: "LINK".into(),
        }
    }
}

/// Invitations live under their own id from the moment they are scheduled; the link (above)
/// is written when one is sent.
pub mod invitation {
    use super::Key;

    pub fn home(invitation_id: &str) -> Key {
        Key {
            pk: format!("INV#{invitation_id}"),
            sk: "INV".into(),
        }
    }
}

/// Invitations of one campaign, on `gsi1`, so the campaign's counts are one Query.
pub mod campaign_invitations {
    pub fn gsi1pk(campaign_id: &str) -> String {
        format!("CAMPAIGN#{campaign_id}#INV")
    }
}

/// Customers: the profile (replaced by imports), and the contact state imports never touch:
/// opt-out and the last invitation (the fatigue rule's conditional write).
pub mod customer {
    use super::Key;

    pub fn partition(id: &str) -> String {
        format!("CUSTOMER#{id}")
    }

    pub fn profile(id: &str) -> Key {
        Key {
            pk: partition(id),
            sk: "PROFILE".into(),
        }
    }

    pub fn contact(id: &str) -> Key {
        Key {
            pk: partition(id),
            sk: "CONTACT".into(),
        }
    }

    /// The partition of everyone holding a phone number or email (as the domain normalises
    /// it): the staff console finds a customer by it with one Query, never a Scan.
    pub fn by_address_partition(address: &str) -> String {
        format!("CONTACT#{address}")
    }

    /// A customer's phone or email: `CONTACT#<address>` / `CUSTOMER#<id>`, one item per
    /// customer holding it (two customers may share a phone).
    pub fn by_address(address: &str, id: &str) -> Key {
        Key {
            pk: by_address_partition(address),
            sk: partition(id),
        }
    }

    /// `gsi1pk` of a profile: customers of a segment, for campaign audiences.
    pub fn by_segment(segment: &str) -> String {
        format!("CUSTOMERS#{segment}")
    }

    /// `gsi1sk` of a profile: last purchase date first, so "bought within N days" is a range.
    /// Customers with no purchase sort before every date (`-` < `0`).
    pub fn by_segment_sort(last_purchase: Option<&str>, id: &str) -> String {
        format!("{}#{id}", last_purchase.unwrap_or("-"))
    }
}

/// The sparse, keys-only index `customer`: every item about a customer (events, invitations,
/// links, responses, feedback, tickets), by customer and then by kind and time.
pub mod by_customer {
    pub const INDEX: &str = "customer";
    pub const PK: &str = "customer_pk";
    pub const SK: &str = "customer_sk";

    pub fn partition(customer_id: &str) -> String {
        super::customer::partition(customer_id)
    }

    /// `<entity>#<RFC 3339 time>#<item pk>`: unique per item, a customer's items of one kind in
    /// time order.
    pub fn sort(entity: &str, at: &str, pk: &str) -> String {
        format!("{entity}#{at}#{pk}")
    }
}

/// Addresses never to message again (an SMS STOP reply, a complaint): one item per address.
pub mod suppression {
    use super::Key;

    pub fn address(address: &str) -> Key {
        Key {
            pk: format!("SUPPRESS#{}", address.to_lowercase()),
            sk: "SUPPRESS".into(),
        }
    }
}

/// Service events and purchases, by id; on `gsi1` by service type and time for campaigns.
pub mod event {
    use super::Key;

    pub fn item(event_id: &str) -> Key {
        Key {
            pk: format!("EVENT#{event_id}"),
            sk: "EVENT".into(),
        }
    }

    pub fn by_service_type(service_type: &str) -> String {
        format!("EVENTS#{service_type}")
    }
}

/// Campaigns: one item each, listed on `gsi1`.
pub mod campaign {
    use super::Key;

    pub const LIST: &str = "CAMPAIGN";

    pub fn item(campaign_id: &str) -> Key {
        Key {
            pk: format!("CAMPAIGN#{campaign_id}"),
            sk: "CAMPAIGN".into(),
        }
    }
}

/// At most one response per invitation: the key is what makes an answer exactly-once.
/// Responses by survey and UTC day of their first answer, on `gsi1`: what a rebuild of the
/// totals and the CSV export page through (never a Scan).
pub mod responses_by_day {
    use chrono::{DateTime, NaiveDate, Utc};

    pub fn partition(survey_id: &str, day: NaiveDate) -> String {
        format!("RESPONSES#{survey_id}#{}", day.format("%Y-%m-%d"))
    }

    /// `<created_at>#<response id>`: in order of the first answer.
    pub fn sort(created_at: DateTime<Utc>, response_id: &str) -> String {
        format!("{}#{response_id}", instant(created_at))
    }

    /// The sort key's time, to the microsecond, so bounds compare as the times do.
    pub fn instant(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

pub mod response {
    use super::Key;

    pub fn for_invitation(invitation_id: &str) -> Key {
        Key {
            pk: format!("RESPONSE#{invitation_id}"),
            sk: "RESPONSE".into(),
        }
    }

    /// An anonymous (QR) answer: keyed by the hash of the form's one-time nonce, so a double
    /// submit of one form is one answer.
    pub fn anonymous(nonce_hash: &str) -> Key {
        Key {
            pk: format!("RESPONSE#Q#{nonce_hash}"),
            sk: "RESPONSE".into(),
        }
    }
}

/// The anonymous form's per-store limit: one counter per store and minute, kept an hour.
pub mod throttle {
    use super::Key;

    pub fn anonymous_answers(store: &str, minute: &str) -> Key {
        Key {
            pk: format!("THROTTLE#q#{store}"),
            sk: format!("MINUTE#{minute}"),
        }
    }
}

/// Direct feedback from other channels (hotline, chat, store, app).
pub mod feedback {
    use super::Key;

    pub fn item(feedback_id: &str) -> Key {
        Key {
            pk: format!("FEEDBACK#{feedback_id}"),
            sk: "FEEDBACK".into(),
        }
    }
}

/// Tickets: the ticket itself (on `gsi1` in its department's queue, sorted by its next running
/// deadline, and on the `due` index at that deadline), and one item per history entry.
pub mod ticket {
    use chrono::{DateTime, Utc};

    use super::Key;
    use crate::domain::timekeeping::timestamp;

    pub const HISTORY_PREFIX: &str = "HISTORY#";
    /// The queue position of a ticket with no running deadline (waiting on the customer,
    /// resolved): after every real deadline, and still a timestamp.
    pub const NO_RUNNING_DEADLINE: &str = "9999-12-31T23:59:59Z";

    pub fn partition(ticket_id: &str) -> String {
        format!("TICKET#{ticket_id}")
    }

    pub fn item(ticket_id: &str) -> Key {
        Key {
            pk: partition(ticket_id),
            sk: "TICKET".into(),
        }
    }

    /// One message to the customer about the ticket: `UPDATE#received`, or
    /// `UPDATE#<planned|resolved>#<n>` (a plan can be revised, a ticket resolved again).
    pub fn customer_update(ticket_id: &str, kind: &str, number: u64) -> Key {
        let sk = if kind == "received" {
            format!("UPDATE#{kind}")
        } else {
            format!("UPDATE#{kind}#{number}")
        };
        Key {
            pk: partition(ticket_id),
            sk,
        }
    }

    /// One notice to staff about the ticket: `NOTICE#<slug>` (see
    /// `domain::ticket::notice::Notice::slug`), one item per thing worth telling, so a notice
    /// is written once.
    pub fn notice(ticket_id: &str, slug: &str) -> Key {
        Key {
            pk: partition(ticket_id),
            sk: format!("NOTICE#{slug}"),
        }
    }

    /// One history entry, by the ticket version it produced: zero-padded, so the history reads
    /// in order.
    pub fn history(ticket_id: &str, ticket_version: u64) -> Key {
        Key {
            pk: partition(ticket_id),
            sk: format!("{HISTORY_PREFIX}{ticket_version:010}"),
        }
    }

    /// `gsi1pk` of an open ticket: its department's queue.
    pub fn queue(department: &str) -> String {
        format!("TICKETS#{department}")
    }

    /// `gsi1pk` of a closed ticket: out of the working queue, still listed.
    pub fn closed_queue(department: &str) -> String {
        format!("TICKETS#{department}#closed")
    }

    /// `gsi1sk`: the next running deadline first, so a queue reads most urgent first.
    pub fn queue_sort(next_deadline: Option<DateTime<Utc>>, ticket_id: &str) -> String {
        match next_deadline {
            Some(due) => format!("{}#{ticket_id}", timestamp(due)),
            None => format!("{NO_RUNNING_DEADLINE}#{ticket_id}"),
        }
    }

    /// One deadline's own item (the escalation sweep's test fixtures use it).
    pub fn deadline(ticket_id: &str, deadline: &str) -> Key {
        Key {
            pk: partition(ticket_id),
            sk: format!("DEADLINE#{deadline}"),
        }
    }
}

/// Versioned settings (ticket rules, routing, SLA policy, calendars, follow-up rules): a head
/// holding the current version whole, and one immutable item per version.
pub mod settings {
    use super::Key;

    pub const VERSION_PREFIX: &str = "V#";

    pub fn partition(name: &str) -> String {
        format!("SETTINGS#{name}")
    }

    pub fn head(name: &str) -> Key {
        Key {
            pk: partition(name),
            sk: "HEAD".into(),
        }
    }

    pub fn version(name: &str, version: u32) -> Key {
        Key {
            pk: partition(name),
            sk: format!("{VERSION_PREFIX}{version:010}"),
        }
    }

    /// The job that re-times the open tickets after `version` of `name` was saved.
    pub fn retime(name: &str, version: u32) -> Key {
        Key {
            pk: partition(name),
            sk: format!("RETIME#{version:010}"),
        }
    }
}

/// Running totals of one survey: per business day, one item for everyone and one per breakdown
/// value, so a report over a range is one Query whose size follows the days and groups, not
/// the responses. Ticket totals (all surveys and direct feedback) have a partition of their own.
pub mod totals {
    use chrono::NaiveDate;

    use super::Key;
    use crate::domain::report::slots::Slot;

    pub fn partition(survey_id: &str) -> String {
        format!("TOTALS#{survey_id}")
    }

    /// The partition of ticket totals.
    pub fn tickets_partition() -> String {
        "TICKET_TOTALS".into()
    }

    pub fn slot(partition: &str, slot: &Slot) -> Key {
        Key {
            pk: partition.to_string(),
            sk: slot_sort(slot),
        }
    }

    /// `DAY#<date>` for everyone, `DAY#<date>#<breakdown>=<value>` for a group.
    pub fn slot_sort(slot: &Slot) -> String {
        match &slot.group {
            None => day_sort(slot.day),
            Some((breakdown, value)) => {
                format!("{}#{}={value}", day_sort(slot.day), breakdown.as_str())
            }
        }
    }

    pub fn day_sort(date: NaiveDate) -> String {
        format!("DAY#{}", date.format("%Y-%m-%d"))
    }

    /// The last sort key of a day's slots (after every group of the day).
    pub fn day_end_sort(date: NaiveDate) -> String {
        format!("{}~", day_sort(date))
    }
}

/// Scheduled reports as kept: one item per survey, kind and period, so a repeated or late run
/// makes one report per period.
pub mod report {
    use chrono::NaiveDate;

    use super::Key;

    pub fn partition(survey_id: &str) -> String {
        format!("REPORT#{survey_id}")
    }

    pub fn item(survey_id: &str, kind: &str, first_day: NaiveDate) -> Key {
        Key {
            pk: partition(survey_id),
            sk: format!("{}#{}", kind.to_uppercase(), first_day.format("%Y-%m-%d")),
        }
    }
}

/// What a stream consumer last applied of an item: one marker per (item, consumer), beside the
/// item in its own partition, holding the item's revision that consumer has applied.
pub mod applied {
    use super::Key;

    pub fn marker(source: &Key, consumer: &str) -> Key {
        Key {
            pk: source.pk.clone(),
            sk: format!("APPLIED#{consumer}"),
        }
    }
}

/// Kinds of timed work on the `due` index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueKind {
    InvitationSend,
    InvitationReminder,
    InvitationExpiry,
    TicketDeadline,
    /// A resolved ticket whose follow-up window ends: closed unconfirmed if still resolved.
    TicketFollowUp,
    /// A message to the customer about their ticket (received, planned, resolved).
    CustomerUpdate,
    /// A notice to staff about a ticket (new, upgraded, warning, breach, escalation), due when
    /// it may go out.
    TicketNotice,
    /// A saved SLA policy or calendar whose open tickets are being re-timed, a page at a time.
    TicketRetime,
    /// A ticket whose owner owes the customer a call: the next reminder.
    TicketCallback,
}

impl DueKind {
    pub const ALL: [DueKind; 9] = [
        DueKind::InvitationSend,
        DueKind::InvitationReminder,
        DueKind::InvitationExpiry,
        DueKind::TicketDeadline,
        DueKind::TicketFollowUp,
        DueKind::CustomerUpdate,
        DueKind::TicketNotice,
        DueKind::TicketRetime,
        DueKind::TicketCallback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DueKind::InvitationSend => "invitation-send",
            DueKind::InvitationReminder => "invitation-reminder",
            DueKind::InvitationExpiry => "invitation-expiry",
            DueKind::TicketDeadline => "ticket-deadline",
            DueKind::TicketFollowUp => "ticket-follow-up",
            DueKind::CustomerUpdate => "customer-update",
            DueKind::TicketNotice => "ticket-notice",
            DueKind::TicketRetime => "ticket-retime",
            DueKind::TicketCallback => "ticket-callback",
        }
    }

    /// The `due_pk` value for one shard of this kind.
    pub fn partition(self, shard: u8) -> String {
        format!("{}#{}", self.as_str(), shard % DUE_SHARDS)
    }

    /// A stable shard for an item, from its partition key.
    pub fn shard_for(pk: &str) -> u8 {
        // FNV-1a: stable across builds, unlike the std hasher.
        let mut hash: u32 = 0x811c_9dc5;
        for byte in pk.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        (hash % u32::from(DUE_SHARDS)) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically_as_strings() {
        let v9 = survey::version("csat", 9).sk;
        let v10 = survey::version("csat", 10).sk;
        assert!(v9 < v10, "{v9} should sort before {v10}");
    }

    #[test]
    fn due_partitions_stay_within_shards() {
        for kind in DueKind::ALL {
            for pk in ["a", "INV#x", "TICKET#123", ""] {
                let shard = DueKind::shard_for(pk);
                assert!(shard < DUE_SHARDS);
                assert_eq!(kind.partition(shard), format!("{}#{shard}", kind.as_str()));
            }
        }
    }
}
