//! Turns the PHOTO arguments of `atelier stylize` into a plan: which files to read and where
//! each result goes. It walks folders and checks names; it must not decode or write anything.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use atelier_engine::Style;

/// Extensions picked up when walking a folder. Files named explicitly are always tried, and
/// the engine sniffs their bytes, so this list only decides what a folder walk looks at.
const PHOTO_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];

/// One photo to stylize and the path its result is written to.
#[derive(Debug)]
pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
}

/// A path that cannot be worked on, with the reason to print.
#[derive(Debug)]
pub struct Problem {
    pub path: PathBuf,
    pub reason: String,
}

/// Everything a run will do, decided before the first photo is decoded.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    pub problems: Vec<Problem>,
    /// Folders in which the walk found no photo: worth a warning, not a failure.
    pub empty_folders: Vec<PathBuf>,
}

/// Where results go and how they are named.
pub struct Naming<'a> {
    pub out_dir: Option<&'a Path>,
    pub style: Style,
    pub extension: &'a str,
}

impl Naming<'_> {
    /// `<stem>.<style>.<ext>`, in `--out` (mirroring the sub-folder the walk found the photo
    /// in, so `a/x.jpg` and `b/x.jpg` do not collide) or beside the photo.
    fn output_for(&self, input: &Path, sub_folder: &Path) -> PathBuf {
        let dir = match self.out_dir {
            Some(out) => out.join(sub_folder),
            None => input.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let mut name = input.file_stem().map(OsString::from).unwrap_or_default();
        name.push(format!(".{}.{}", self.style.id(), self.extension));
        dir.join(name)
    }
}

/// Builds the plan for the given PHOTO arguments, in the order given; folders are walked in
/// name order so runs are repeatable.
pub fn plan(paths: &[PathBuf], naming: &Naming<'_>) -> Plan {
    let mut plan = Plan::default();
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(err) => plan.problems.push(Problem {
                path: path.clone(),
                reason: err.to_string(),
            }),
            Ok(meta) if meta.is_dir() => {
                let before = found.len();
                walk(path, Path::new(""), &mut found, &mut plan.problems);
                if found.len() == before {
                    plan.empty_folders.push(path.clone());
                }
            }
            Ok(_) => found.push((path.clone(), PathBuf::new())),
        }
    }

    // The same photo reached twice (named and inside a named folder) is done once.
    let mut seen_inputs = HashSet::new();
    found.retain(|(input, _)| seen_inputs.insert(identity(input)));

    let mut planned_outputs = HashSet::new();
    for (input, sub_folder) in found {
        let output = naming.output_for(&input, &sub_folder);
        let output_id = identity(&output);
        if seen_inputs.contains(&output_id) {
            plan.problems.push(Problem {
                path: input,
                reason: format!(
                    "its result {} would overwrite another photo of this run",
                    output.display()
                ),
            });
        } else if !planned_outputs.insert(output_id) {
            plan.problems.push(Problem {
                path: input,
                reason: format!(
                    "another photo of this run is also written to {}; rename one of them",
                    output.display()
                ),
            });
        } else {
            plan.jobs.push(Job { input, output });
        }
    }
    plan
}

/// A key that is equal for two spellings of the same existing file; paths that do not exist
/// yet (outputs) compare as written, which is enough within one run.
fn identity(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Collects photos under `dir`, depth first in name order. Hidden entries (`.git`,
/// `.thumbnails`) are skipped, and symbolic links to folders are not followed so a link
/// cycle cannot make the walk endless.
fn walk(
    dir: &Path,
    sub_folder: &Path,
    found: &mut Vec<(PathBuf, PathBuf)>,
    problems: &mut Vec<Problem>,
) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(Problem {
                path: dir.to_path_buf(),
                reason: format!("cannot list the folder: {err}"),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk(&path, &sub_folder.join(&name), found, problems);
        } else if is_photo_name(&path) && !is_own_output(&path) && path.is_file() {
            found.push((path, sub_folder.to_path_buf()));
        }
    }
}

fn is_photo_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            PHOTO_EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

/// True for names like `portrait.anime.png`: results of an earlier run (of any style), which a
/// folder walk must not stylize again.
pub fn is_own_output(path: &Path) -> bool {
    let Some(stem) = path.file_stem() else {
        return false;
    };
    Path::new(stem)
        .extension()
        .and_then(|style| style.to_str())
        .is_some_and(|style| Style::ALL.iter().any(|known| known.id() == style))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_of_any_style_are_recognised_as_own_outputs() {
        assert!(is_own_output(Path::new("a/portrait.anime.png")));
        assert!(is_own_output(Path::new("portrait.clay-3d.webp")));
        assert!(!is_own_output(Path::new("portrait.png")));
        assert!(!is_own_output(Path::new("my.holiday.jpg")));
    }

    #[test]
    fn photo_extensions_match_whatever_their_case() {
        assert!(is_photo_name(Path::new("IMG_0001.JPG")));
        assert!(is_photo_name(Path::new("x.WebP")));
        assert!(!is_photo_name(Path::new("notes.txt")));
        assert!(!is_photo_name(Path::new("jpg")));
    }

    #[test]
    fn output_goes_beside_the_photo_or_mirrors_sub_folders_under_out() {
        let beside = Naming {
            out_dir: None,
            style: Style::Anime,
            extension: "png",
        };
        assert_eq!(
            beside.output_for(Path::new("photos/me.jpg"), Path::new("")),
            PathBuf::from("photos/me.anime.png")
        );
        let out = Naming {
            out_dir: Some(Path::new("out")),
            style: Style::Clay3d,
            extension: "jpg",
        };
        assert_eq!(
            out.output_for(Path::new("photos/2024/me.jpg"), Path::new("2024")),
            PathBuf::from("out/2024/me.clay-3d.jpg")
        );
    }
}
