//! Abuse reports: filed by the item's owner (as the app role on PostgreSQL, where the
//! `owner_rows` policy admits only their own rows), read and decided by admins as the system.

use async_trait::async_trait;

use super::{AnyId, each_backend, get};
use crate::domain::{ReportId, Role, Timestamp, UserScope};
use crate::store::{
    AccountStatus, NewReport, Report, ReportOwner, ReportReason, ReportRow, ReportStatus,
    ReportStore, ReportedKind, StoreError, StoreResult,
};

const COLUMNS: &str =
    "id, user_id, item_kind, item_id, reason, details, status, created_at, resolved_at";

/// The admin's view: the report and its owner's account (NULLs once erased).
const ROW_SELECT: &str = "SELECT r.id, r.user_id, r.item_kind, r.item_id, r.reason, r.details, \
     r.status, r.created_at, r.resolved_at, u.email AS owner_email, u.role AS owner_role, \
     u.status AS owner_status FROM abuse_reports r LEFT JOIN users u ON u.id = r.user_id";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("abuse report {what} {value}").into())
}

each_backend! {
    fn report_from_row(row: &DbRow) -> StoreResult<Report> {
        let (kind, reason, status): (String, String, String) = (
            get(row, "item_kind")?,
            get(row, "reason")?,
            get(row, "status")?,
        );
        Ok(Report {
            id: get(row, "id")?,
            user_id: get(row, "user_id")?,
            kind: ReportedKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
            item_id: get::<Option<AnyId>, _>(row, "item_id")?.map(|id| id.0),
            reason: ReportReason::parse(&reason).ok_or_else(|| bad("reason", &reason))?,
            details: get(row, "details")?,
            status: ReportStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
            created_at: get(row, "created_at")?,
            resolved_at: get(row, "resolved_at")?,
        })
    }

    fn report_row(row: &DbRow) -> StoreResult<ReportRow> {
        let report = report_from_row(row)?;
        let email: Option<String> = get(row, "owner_email")?;
        let owner = match (report.user_id, email) {
            (Some(id), Some(email)) => {
                let status: String = get(row, "owner_status")?;
                Some(ReportOwner {
                    id,
                    email,
                    role: Role::parse(&get::<String, _>(row, "owner_role")?),
                    status: AccountStatus::parse(&status).ok_or_else(|| bad("owner", &status))?,
                })
            }
            _ => None,
        };
        Ok(ReportRow { report, owner })
    }

    #[async_trait]
    impl ReportStore for Db {
        async fn create_report(&self, scope: UserScope, report: &NewReport) -> StoreResult<Report> {
            let user = scope.user_id();
            let mut tx = self.user_write(scope).await?;
            let held = match report.kind {
                ReportedKind::Result => {
                    "SELECT COUNT(*) FROM results WHERE id = $1 AND user_id = $2"
                }
                ReportedKind::Upload => {
                    "SELECT COUNT(*) FROM uploads WHERE id = $1 AND user_id = $2"
                }
            };
            let count: i64 = sqlx::query_scalar(held)
                .bind(AnyId(report.item_id))
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
            if count == 0 {
                return Err(StoreError::NotFound);
            }
            let sql = format!(
                "INSERT INTO abuse_reports (id, user_id, item_kind, item_id, reason, details,
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(report.id)
                .bind(user)
                .bind(report.kind.as_str())
                .bind(AnyId(report.item_id))
                .bind(report.reason.as_str())
                .bind(&report.details)
                .bind(report.created_at)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            report_from_row(&row)
        }

        async fn reports_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Report>> {
            let mut tx = self.user_read(scope).await?;
            let sql = format!(
                "SELECT {COLUMNS} FROM abuse_reports WHERE user_id = $1
                 ORDER BY created_at DESC LIMIT $2"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.user_id())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(report_from_row).collect()
        }

        async fn all_reports(&self, limit: u32) -> StoreResult<Vec<ReportRow>> {
            let sql = format!(
                "{ROW_SELECT} ORDER BY r.status = 'open' DESC, r.created_at DESC, r.id LIMIT $1"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(limit))
                .fetch_all(self.read_pool())
                .await?;
            rows.iter().map(report_row).collect()
        }

        async fn report_by_id(&self, id: ReportId) -> StoreResult<Option<ReportRow>> {
            let sql = format!("{ROW_SELECT} WHERE r.id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(self.read_pool())
                .await?
                .as_ref()
                .map(report_row)
                .transpose()
        }

        async fn resolve_report(
            &self,
            id: ReportId,
            status: ReportStatus,
            now: Timestamp,
        ) -> StoreResult<Report> {
            let resolved = (status != ReportStatus::Open).then_some(now);
            let sql = format!(
                "UPDATE abuse_reports SET status = $1, resolved_at = $2 WHERE id = $3
                 RETURNING {COLUMNS}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status.as_str())
                .bind(resolved)
                .bind(id)
                .fetch_optional(self.write_pool())
                .await?
                .as_ref()
                .map(report_from_row)
                .transpose()?
                .ok_or(StoreError::NotFound)
        }
    }
}
