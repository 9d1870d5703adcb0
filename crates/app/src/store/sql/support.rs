//! Support tickets and their threads. Scoped calls filter by `user_id` (and on PostgreSQL run
//! as the app role under RLS); visitors' tickets and the admin's calls run as the system.

use async_trait::async_trait;

use super::{each_backend, from_row};
use crate::domain::{Timestamp, UserScope};
use crate::store::{
    NewTicket, StoreError, StoreResult, SupportStore, Ticket, TicketFilter, TicketStatus,
    TicketThread,
};

each_backend! {
    const COLUMNS: &str = "id, user_id, email, locale, subject, job_id, urgent, status, \
                           created_at, updated_at, closed_at";

    /// Open before answered before closed; urgent first; oldest first.
    const QUEUE_ORDER: &str = "CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, \
                               urgent DESC, id ASC";

    /// The ticket `id` (of `owner` when given), locked for update.
    async fn ticket_in(
        conn: &mut DbConn,
        id: i64,
        owner: Option<UserScope>,
    ) -> StoreResult<Option<Ticket>> {
        let lock = dialect("", " FOR UPDATE");
        let sql = match owner {
            Some(_) => format!(
                "SELECT {COLUMNS} FROM support_tickets WHERE id = $1 AND user_id = $2{lock}"
            ),
            None => format!("SELECT {COLUMNS} FROM support_tickets WHERE id = $1{lock}"),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        if let Some(scope) = owner {
            query = query.bind(scope.user_id());
        }
        query
            .fetch_optional(&mut *conn)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    async fn thread_in(conn: &mut DbConn, ticket: Ticket) -> StoreResult<TicketThread> {
        let rows = sqlx::query(
            "SELECT from_staff, body, created_at FROM support_messages
             WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket.id)
        .fetch_all(&mut *conn)
        .await?;
        let messages = rows.iter().map(from_row).collect::<StoreResult<_>>()?;
        Ok(TicketThread { ticket, messages })
    }

    /// Appends a message to `ticket` and moves it to `status`, in the caller's transaction.
    async fn append(
        conn: &mut DbConn,
        ticket: &Ticket,
        from_staff: bool,
        body: &str,
        status: TicketStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO support_messages (ticket_id, user_id, from_staff, body, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ticket.id)
        .bind(ticket.user_id)
        .bind(from_staff)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE support_tickets SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now)
            .bind(ticket.id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    impl Db {
        /// Adds a message to an open or answered ticket: the owner's follow-up under RLS, or a
        /// staff reply (`owner` `None`) as the system role.
        async fn add_message(
            &self,
            owner: Option<UserScope>,
            id: i64,
            body: &str,
            now: Timestamp,
        ) -> StoreResult<Ticket> {
            let mut tx = match owner {
                Some(scope) => self.user_write(scope).await?,
                None => self.system_write().await?,
            };
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
            tx.commit().await?;
            Ok(ticket)
        }
    }

    #[async_trait]
    impl SupportStore for Db {
        async fn create_ticket(
            &self,
            scope: Option<UserScope>,
            ticket: &NewTicket,
        ) -> StoreResult<Ticket> {
            let mut tx = match scope {
                Some(scope) => self.user_write(scope).await?,
                None => self.system_write().await?,
            };
            let owner = scope.map(|s| s.user_id());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO support_tickets
                     (user_id, email, locale, subject, job_id, urgent, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7) RETURNING id",
            )
            .bind(owner)
            .bind(&ticket.email)
            .bind(&ticket.locale)
            .bind(&ticket.subject)
            .bind(ticket.job_id)
            .bind(ticket.urgent)
            .bind(ticket.created_at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO support_messages (ticket_id, user_id, from_staff, body, created_at)
                 VALUES ($1, $2, false, $3, $4)",
            )
            .bind(id)
            .bind(owner)
            .bind(&ticket.message)
            .bind(ticket.created_at)
            .execute(&mut *tx)
            .await?;
            let stored = ticket_in(&mut tx, id, scope)
                .await?
                .ok_or(StoreError::NotFound)?;
            tx.commit().await?;
            Ok(stored)
        }

        async fn tickets_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Ticket>> {
            let mut tx = self.user_read(scope).await?;
            let sql = format!(
                "SELECT {COLUMNS} FROM support_tickets WHERE user_id = $1
                 ORDER BY updated_at DESC, id DESC LIMIT $2"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.user_id())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn ticket_thread(
            &self,
            scope: UserScope,
            id: i64,
        ) -> StoreResult<Option<TicketThread>> {
            let mut tx = self.user_read(scope).await?;
            let thread = match ticket_in(&mut tx, id, Some(scope)).await? {
                Some(ticket) => Some(thread_in(&mut tx, ticket).await?),
                None => None,
            };
            tx.commit().await?;
            Ok(thread)
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
                "SELECT {COLUMNS} FROM support_tickets {filter} ORDER BY {QUEUE_ORDER} LIMIT $1"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(limit))
                .fetch_all(self.read_pool())
                .await?;
            rows.iter().map(from_row).collect()
        }

        async fn ticket_by_id(&self, id: i64) -> StoreResult<Option<TicketThread>> {
            let mut tx = self.system_read().await?;
            let thread = match ticket_in(&mut tx, id, None).await? {
                Some(ticket) => Some(thread_in(&mut tx, ticket).await?),
                None => None,
            };
            tx.commit().await?;
            Ok(thread)
        }

        async fn reply_to_ticket(
            &self,
            id: i64,
            body: &str,
            now: Timestamp,
        ) -> StoreResult<Ticket> {
            self.add_message(None, id, body, now).await
        }

        async fn purge_closed_visitor_tickets(&self, closed_before: Timestamp) -> StoreResult<u64> {
            // The messages go by ON DELETE CASCADE.
            let deleted = sqlx::query(
                "DELETE FROM support_tickets
                 WHERE user_id IS NULL AND status = 'closed' AND closed_at < $1",
            )
            .bind(closed_before)
            .execute(self.write_pool())
            .await?
            .rows_affected();
            Ok(deleted)
        }

        async fn set_ticket_closed(
            &self,
            id: i64,
            closed: bool,
            now: Timestamp,
        ) -> StoreResult<Ticket> {
            let (status, closed_at) = if closed {
                (TicketStatus::Closed, Some(now))
            } else {
                (TicketStatus::Open, None)
            };
            let sql = format!(
                "UPDATE support_tickets SET status = $1, closed_at = $2, updated_at = $3
                 WHERE id = $4 RETURNING {COLUMNS}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status.as_str())
                .bind(closed_at)
                .bind(now)
                .bind(id)
                .fetch_optional(self.write_pool())
                .await?
                .as_ref()
                .map(from_row)
                .transpose()?
                .ok_or(StoreError::NotFound)
        }
    }
}
