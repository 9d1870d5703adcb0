//! What a `stylize` run tells its user: result paths on stdout, warnings and errors on stderr,
//! and a progress bar plus a closing summary only when stderr is a terminal. Every line goes
//! through here so it is printed above the bar instead of through it.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Reporter {
    /// `None` when stderr is piped: scripts and logs get plain lines, no escape codes.
    bar: Option<ProgressBar>,
}

impl Reporter {
    pub fn new(total: usize) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} {pos}/{len} [{bar:24}] {elapsed} elapsed, ETA {eta}  {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            )
            .with_style(style);
            // Ticking keeps the spinner and elapsed time alive during a long single photo.
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Reporter { bar }
    }

    /// Whether a person is watching: decides the closing summary.
    pub fn is_interactive(&self) -> bool {
        self.bar.is_some()
    }

    pub fn started(&self, input: &Path) {
        if let Some(bar) = &self.bar {
            let name = input.file_name().unwrap_or(input.as_os_str());
            bar.set_message(name.to_string_lossy().into_owned());
        }
    }

    pub fn finished_one(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn warning(&self, path: &Path, message: &str) {
        self.above_bar(|| eprintln!("warning: {}: {message}", path.display()));
    }

    pub fn error(&self, path: &Path, reason: &str) {
        self.above_bar(|| eprintln!("error: {}: {reason}", path.display()));
    }

    /// Prints a written result on stdout, one path a line, for scripts to read.
    pub fn written(&self, output: &Path) {
        self.above_bar(|| {
            // A closed stdout (`| head -1`) must not stop the photos still to do.
            let _ = writeln!(io::stdout().lock(), "{}", output.display());
        });
    }

    /// Clears the bar and, on a terminal, prints the summary line.
    pub fn finish(self, summary: &str) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
            eprintln!("{summary}");
        }
    }

    fn above_bar(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}
