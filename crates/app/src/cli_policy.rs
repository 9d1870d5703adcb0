//! `atelier policy list|show|publish`: the operator's side of the versioned privacy policy
//! and terms. Publishing a version with notice e-mails every account (see `policies/`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::{CommonArgs, block_on, load};
use crate::domain::Timestamp;
use crate::policies::Draft;
use crate::services::Services;
use crate::store::PolicyKind;

/// Publish and read the privacy policy and terms (versioned; users accept each version).
#[derive(Args, Clone, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub action: PolicyAction,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    Privacy,
    Terms,
}

impl From<KindArg> for PolicyKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Privacy => PolicyKind::Privacy,
            KindArg::Terms => PolicyKind::Terms,
        }
    }
}

#[derive(Subcommand, Clone, Debug)]
pub enum PolicyAction {
    /// Every published version of both documents, with its effective date.
    List,
    /// Print a version's Markdown (the one in force unless --version).
    Show {
        kind: KindArg,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Print the built-in text filled with this installation's settings, to edit and publish.
    Builtin { kind: KindArg },
    /// Publish a new version. Unless it is the document's first, it must take effect at
    /// least policies.notice_days (30) days from now, and every account is e-mailed about
    /// it at once; on that date users are asked to accept it before they continue.
    Publish {
        kind: KindArg,
        /// The Markdown text; without it, the built-in text with the current settings.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// When it takes effect: YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        effective: String,
        /// What changed, for the notice e-mail and the accept page.
        #[arg(long)]
        summary: String,
        /// Default: "Privacy policy" / "Terms of use".
        #[arg(long)]
        title: Option<String>,
    },
}

pub fn policy(args: PolicyArgs) -> ExitCode {
    block_on(async move {
        let services = Services::open(load(&args.common, None)?).await?;
        run(&services, args.action, Timestamp::now()).await
    })
}

pub(crate) async fn run(
    services: &Services,
    action: PolicyAction,
    now: Timestamp,
) -> anyhow::Result<()> {
    let policies = &services.policies;
    match action {
        PolicyAction::List => {
            for kind in PolicyKind::ALL {
                for v in policies.versions(kind).await? {
                    let state = if v.effective_at > now {
                        "upcoming"
                    } else {
                        "published"
                    };
                    println!(
                        "{:<8} v{:<3} {:<9} effective {}  notified {:>6}  {}",
                        kind.as_str(),
                        v.version,
                        state,
                        v.effective_at.rfc3339(),
                        v.notified,
                        v.title
                    );
                }
            }
        }
        PolicyAction::Show { kind, version } => {
            let v = policies.version(kind.into(), version, now).await?;
            println!("# {}\n\n{}", v.title, v.body);
        }
        PolicyAction::Builtin { kind } => {
            println!("{}", policies.builtin(kind.into()).body);
        }
        PolicyAction::Publish {
            kind,
            file,
            effective,
            summary,
            title,
        } => {
            let kind = PolicyKind::from(kind);
            let mut draft = match file {
                Some(path) => Draft {
                    title: String::new(),
                    summary: String::new(),
                    body: std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
                },
                None => policies.builtin(kind),
            };
            draft.title = title.unwrap_or_else(|| policies.builtin(kind).title);
            draft.summary = summary;
            let effective_at = parse_date(&effective)?;
            let v = policies.publish(kind, draft, effective_at, now).await?;
            println!(
                "published {} version {}, effective {}; accounts notified by e-mail: {}",
                kind.as_str(),
                v.version,
                v.effective_at.rfc3339(),
                v.notified
            );
        }
    }
    Ok(())
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub(crate) fn parse_date(text: &str) -> anyhow::Result<Timestamp> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    let at = match time::OffsetDateTime::parse(text, &Rfc3339) {
        Ok(at) => at,
        Err(_) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(text, format)
                .map_err(|_| {
                    anyhow::anyhow!("--effective `{text}`: expected YYYY-MM-DD or an RFC 3339 time")
                })?
                .midnight()
                .assume_utc()
        }
    };
    let millis = i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| anyhow::anyhow!("--effective `{text}` is out of range"))?;
    Ok(Timestamp::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn effective_dates_parse_as_days_or_times() {
        assert_eq!(
            parse_date("2027-01-15").map(|t| t.rfc3339()).ok(),
            Some("2027-01-15T00:00:00Z".into())
        );
        assert_eq!(
            parse_date("2027-01-15T09:30:00+01:00")
                .map(|t| t.millis())
                .ok(),
            parse_date("2027-01-15T08:30:00Z").map(|t| t.millis()).ok()
        );
        assert!(parse_date("15/01/2027").is_err());
        assert!(parse_date("").is_err());
    }
}
