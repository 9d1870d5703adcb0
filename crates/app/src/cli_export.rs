//! `atelier export-user EMAIL [--out FILE]`: the same ZIP as "Download my data", for an
//! operator answering a request made outside the site (by letter, by e-mail).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CommonArgs, audit, block_on, find, load};
use crate::domain::{Role, UserScope};
use crate::services::Services;

/// Write everything held about the account of EMAIL to a ZIP file (the same archive as the
/// privacy page's "Download my data"; README.txt inside explains each file).
#[derive(Args, Clone, Debug)]
pub struct ExportUserArgs {
    pub email: String,
    /// Where to write the ZIP; default ./atelier-export-USER_ID.zip. An existing file is
    /// never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn export_user(args: ExportUserArgs) -> ExitCode {
    block_on(async move {
        let services = Services::open(load(&args.common, None)?).await?;
        let path = export_to(&services, &args.email, args.out).await?;
        println!("wrote {}", path.display());
        Ok(())
    })
}

pub(crate) async fn export_to(
    services: &Services,
    email: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let found = find(services, email).await?;
    let scope = UserScope::trusted(found.user.id, Role::User);
    let zip = services.privacy.export(scope).await?;
    let path =
        out.unwrap_or_else(|| PathBuf::from(format!("atelier-export-{}.zip", found.user.id)));
    write_private(&path, &zip)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    let detail = format!("{} bytes", zip.len());
    audit(services, "export-user", found.user.id, detail).await?;
    Ok(path)
}

/// Personal data: readable by the owner only, and never over an existing file.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
