//! Records of the support center: tickets and the messages of their threads.

use serde::Serialize;

use crate::domain::{JobId, Timestamp, UserId};

/// Where a ticket stands: `open` waits for staff, `answered` waits for the submitter,
/// `closed` is done (staff may reopen it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    Open,
    Answered,
    Closed,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Answered => "answered",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<TicketStatus> {
        match text {
            "open" => Some(TicketStatus::Open),
            "answered" => Some(TicketStatus::Answered),
            "closed" => Some(TicketStatus::Closed),
            _ => None,
        }
    }
}

/// A ticket about to be stored, with its first message. The owner is the scope it is
/// created with (none for a visitor).
#[derive(Clone, Debug)]
pub struct NewTicket {
    pub email: String,
    /// The submitter's language tag (`ja-JP`), for the mails about the ticket.
    pub locale: String,
    pub subject: String,
    pub message: String,
    pub job_id: Option<JobId>,
    pub urgent: bool,
    pub created_at: Timestamp,
}

/// A ticket; `id` is the ticket number people see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Ticket {
    pub id: i64,
    /// `None` for a visitor's ticket.
    #[serde(skip)]
    pub user_id: Option<UserId>,
    pub email: String,
    pub locale: String,
    pub subject: String,
    pub job_id: Option<JobId>,
    pub urgent: bool,
    pub status: TicketStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

/// One message of a thread: the submitter's (`from_staff` false) or a staff reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TicketMessage {
    pub from_staff: bool,
    pub body: String,
    pub created_at: Timestamp,
}

/// A ticket and its messages, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketThread {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub messages: Vec<TicketMessage>,
}

/// Which tickets the admin list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketFilter {
    /// Open and answered: not closed.
    Open,
    Closed,
    All,
}
