//! Support tickets and their threads on SQLite. Scoped calls filter by `user_id`; the
//! admin's calls read every ticket.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, get, get_opt_id, get_time, internal};
use crate::domain::{Timestamp, UserScope};
use crate::store::{
    NewTicket, StoreError, StoreResult, SupportStore, Ticket, TicketFilter, TicketMessage,
    TicketStatus, TicketThread,
};

const COLUMNS: &str = "id, user_id, email, locale, subject, job_id, urgent, status, \
                       created_at, updated_at, closed_at";

/// Open before answered before closed; urgent first; oldest first.
const QUEUE_ORDER: &str = "CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, \
                           urgent DESC, id ASC";

fn ticket_from_row(row: &SqliteRow) -> StoreResult<Ticket> {
    let status: String = get(row, "status")?;
    Ok(Ticket {
        id: get(row, "id")?,
        user_id: get_opt_id(row, "user_id")?,
        email: get(row, "email")?,
        locale: get(row, "locale")?,
        subject: get(row, "subject")?,
        job_id: get_opt_id(row, "job_id")?,
        urgent: get(row, "urgent")?,
        status: TicketStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("ticket status `{status}`").into()))?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        closed_at: get::<Option<i64>>(row, "closed_at")?.map(Timestamp::from_millis),
    })
}

/// The ticket `id` (of `owner` when given), for update.
async fn ticket_in(
    conn: &mut SqliteConnection,
    id: i64,
    owner: Option<UserScope>,
) -> StoreResult<Option<Ticket>> {
    let sql = match owner {
        Some(_) => format!("SELECT {COLUMNS} FROM support_tickets WHERE id = ? AND user_id = ?"),
        None => format!("SELECT {COLUMNS} FROM support_tickets WHERE id = ?"),
    };
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(scope) = owner {
        query = query.bind(scope.user_id().to_string());
    }
    query
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?
        .as_ref()
        .map(ticket_from_row)
        .transpose()
}

async fn thread_in(conn: &mut SqliteConnection, ticket: Ticket) -> StoreResult<TicketThread> {
    let rows = sqlx::query(
        "SELECT from_staff, body, created_at FROM support_messages
         WHERE ticket_id = ? ORDER BY id",
    )
    .bind(ticket.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let messages = rows
        .iter()
        .map(|row| {
            Ok(TicketMessage {
                from_staff: get(row, "from_staff")?,
                body: get(row, "body")?,
                created_at: get_time(row, "created_at")?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(TicketThread { ticket, messages })
}

/// Appends a message to `ticket` and moves it to `status`, in the caller's transaction.
async fn append(
    conn: &mut SqliteConnection,
    ticket: &Ticket,
    from_staff: bool,
    body: &str,
    status: TicketStatus,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO support_messages (ticket_id, user_id, from_staff, body, created_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(ticket.id)
    .bind(ticket.user_id.map(|id| id.to_string()))
    .bind(from_staff)
    .bind(body)
    .bind(now.millis())
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    sqlx::query("UPDATE support_tickets SET status = ?, updated_at = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(now.millis())
        .bind(ticket.id)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    Ok(())
}

impl SqliteStore {
    /// Adds a message to an open or answered ticket (of `owner` when given).
    async fn add_message(
        &self,
        owner: Option<UserScope>,
        id: i64,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Ticket> {
        let mut tx = self.write().await?;
        let ticket = ticket_in(&mut tx, id, owner)
            .await?
            .ok_or(StoreError::NotFound)?;
        if ticket.status == TicketStatus::Closed {
            return Err(StoreError::WrongState);
        }
        let (from_staff, status) = match owner {
            Some(_) => (false, TicketStatus::Open),
            None => (true, TicketStatus::Answered),
        };
        append(&mut tx, &ticket, from_staff, body, status, now).await?;
        let ticket = ticket_in(&mut tx, id, owner)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(internal)?;
        Ok(ticket)
    }
}

#[async_trait]
impl SupportStore for SqliteStore {
    async fn create_ticket(
        &self,
        scope: Option<UserScope>,
        ticket: &NewTicket,
    ) -> StoreResult<Ticket> {
        let mut tx = self.write().await?;
        let owner = scope.map(|s| s.user_id().to_string());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO support_tickets
                 (user_id, email, locale, subject, job_id, urgent, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
        )
        .bind(&owner)
        .bind(&ticket.email)
        .bind(&ticket.locale)
        .bind(&ticket.subject)
        .bind(ticket.job_id.map(|id| id.to_string()))
        .bind(ticket.urgent)
        .bind(ticket.created_at.millis())
        .bind(ticket.created_at.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        sqlx::query(
            "INSERT INTO support_messages (ticket_id, user_id, from_staff, body, created_at)
             VALUES (?, ?, FALSE, ?, ?)",
        )
        .bind(id)
        .bind(&owner)
        .bind(&ticket.message)
        .bind(ticket.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let stored = ticket_in(&mut tx, id, None)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(internal)?;
        Ok(stored)
    }

    async fn tickets_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM support_tickets WHERE user_id = ?
             ORDER BY updated_at DESC, id DESC LIMIT ?"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id().to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn ticket_thread(&self, scope: UserScope, id: i64) -> StoreResult<Option<TicketThread>> {
        let mut conn = self.reader.acquire().await.map_err(internal)?;
        match ticket_in(&mut conn, id, Some(scope)).await? {
            Some(ticket) => thread_in(&mut conn, ticket).await.map(Some),
            None => Ok(None),
        }
    }

    async fn add_ticket_message(
        &self,
        scope: UserScope,
        id: i64,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Ticket> {
        self.add_message(Some(scope), id, body, now).await
    }

    async fn all_tickets(&self, filter: TicketFilter, limit: u32) -> StoreResult<Vec<Ticket>> {
        let filter = match filter {
            TicketFilter::Open => "WHERE status <> 'closed'",
            TicketFilter::Closed => "WHERE status = 'closed'",
            TicketFilter::All => "",
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM support_tickets {filter} ORDER BY {QUEUE_ORDER} LIMIT ?"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn ticket_by_id(&self, id: i64) -> StoreResult<Option<TicketThread>> {
        let mut conn = self.reader.acquire().await.map_err(internal)?;
        match ticket_in(&mut conn, id, None).await? {
            Some(ticket) => thread_in(&mut conn, ticket).await.map(Some),
            None => Ok(None),
        }
    }

    async fn reply_to_ticket(&self, id: i64, body: &str, now: Timestamp) -> StoreResult<Ticket> {
        self.add_message(None, id, body, now).await
    }

    async fn purge_closed_visitor_tickets(&self, closed_before: Timestamp) -> StoreResult<u64> {
        // The messages go by ON DELETE CASCADE.
        let deleted = sqlx::query(
            "DELETE FROM support_tickets
             WHERE user_id IS NULL AND status = 'closed' AND closed_at < ?",
        )
        .bind(closed_before.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?
        .rows_affected();
        Ok(deleted)
    }

    async fn set_ticket_closed(
        &self,
        id: i64,
        closed: bool,
        now: Timestamp,
    ) -> StoreResult<Ticket> {
        let mut tx = self.write().await?;
        let (status, closed_at) = if closed {
            (TicketStatus::Closed, Some(now.millis()))
        } else {
            (TicketStatus::Open, None)
        };
        let changed = sqlx::query(
            "UPDATE support_tickets SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(closed_at)
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        let ticket = ticket_in(&mut tx, id, None)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(internal)?;
        Ok(ticket)
    }
}
