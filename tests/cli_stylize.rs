//! Integration tests of `atelier stylize`, run against the real binary: arguments, output
//! names, folder walks, failures and exit codes, and what reaches stdout and stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{ImageFormat, Rgb, RgbImage};
use tempfile::TempDir;

const STYLE_IDS: [&str; 6] = [
    "rough-sketch",
    "detailed-sketch",
    "light-color",
    "artistic",
    "anime",
    "clay-3d",
];

/// Runs `atelier stylize ARGS` with stdin closed and stdout/stderr captured (so piped).
fn stylize(args: &[&str], cwd: &Path) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .arg("stylize")
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output();
    match output {
        Ok(output) => output,
        Err(err) => panic!("cannot run the atelier binary: {err}"),
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A small face-like test card: a warm oval on a cool gradient, with some detail to style.
fn test_photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
        let dx = (x as f32 - cx) / (width as f32 * 0.3);
        let dy = (y as f32 - cy) / (height as f32 * 0.4);
        if dx * dx + dy * dy < 1.0 {
            Rgb([220, 170, 140])
        } else {
            Rgb([(x * 255 / width) as u8, 90, (y * 255 / height) as u8])
        }
    })
}

fn write_photo(path: &Path, format: ImageFormat) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|err| panic!("mkdir {}: {err}", dir.display()));
    }
    test_photo(64, 48)
        .save_with_format(path, format)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
}

fn temp_dir() -> TempDir {
    TempDir::new().unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"))
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, found);
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.to_path_buf());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

#[test]
fn list_shows_all_six_styles_with_descriptions() {
    let dir = temp_dir();

    let output = stylize(&["--list"], dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let listing = stdout(&output);
    for id in STYLE_IDS {
        let line = listing.lines().find(|line| line.starts_with(id));
        let Some(line) = line else {
            panic!("{id} missing from --list:\n{listing}")
        };
        assert!(
            line.len() > id.len() + 10,
            "{id} has no description: {line:?}"
        );
    }
    assert_eq!(listing.lines().count(), 6);
}

#[test]
fn one_photo_gives_a_png_named_after_its_stem_and_style_beside_it() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.jpg"), ImageFormat::Jpeg);

    let output = stylize(&["me.jpg", "--style", "anime"], dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let result = dir.path().join("me.anime.png");
    assert!(result.is_file(), "files: {:?}", files_under(dir.path()));
    assert_eq!(stdout(&output).trim(), "me.anime.png");
    assert_eq!(
        image::guess_format(&read(&result)).ok(),
        Some(ImageFormat::Png)
    );
    // The input is left as it was.
    assert!(dir.path().join("me.jpg").is_file());
}

#[test]
fn a_folder_is_walked_recursively_into_out_in_the_asked_format() {
    let dir = temp_dir();
    let photos = dir.path().join("photos");
    write_photo(&photos.join("a.png"), ImageFormat::Png);
    write_photo(&photos.join("2024/b.JPG"), ImageFormat::Jpeg);
    fs::write(photos.join("notes.txt"), "not a photo").unwrap_or_else(|err| panic!("{err}"));

    let jpeg = stylize(
        &[
            "photos", "--style", "clay-3d", "--out", "out", "--format", "jpeg",
        ],
        dir.path(),
    );
    let webp = stylize(
        &[
            "photos",
            "--style",
            "rough-sketch",
            "--out",
            "out",
            "--format",
            "webp",
        ],
        dir.path(),
    );

    assert!(jpeg.status.success(), "stderr: {}", stderr(&jpeg));
    assert!(webp.status.success(), "stderr: {}", stderr(&webp));
    let expected: Vec<PathBuf> = [
        "2024/b.clay-3d.jpg",
        "2024/b.rough-sketch.webp",
        "a.clay-3d.jpg",
        "a.rough-sketch.webp",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let out = dir.path().join("out");
    assert_eq!(files_under(&out), expected);
    assert_eq!(stdout(&jpeg).lines().count(), 2);
}

#[test]
fn a_bad_file_is_reported_and_the_others_are_still_written() {
    let dir = temp_dir();
    write_photo(&dir.path().join("good1.png"), ImageFormat::Png);
    fs::write(dir.path().join("broken.jpg"), b"this is not a JPEG")
        .unwrap_or_else(|e| panic!("{e}"));
    write_photo(&dir.path().join("good2.png"), ImageFormat::Png);

    let output = stylize(
        &[
            "good1.png",
            "broken.jpg",
            "missing.png",
            "good2.png",
            "--style",
            "artistic",
        ],
        dir.path(),
    );

    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    let error_lines: Vec<&str> = errors
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(error_lines.len(), 2, "stderr: {errors}");
    assert!(
        error_lines
            .iter()
            .any(|l| l.starts_with("error: broken.jpg: ")),
        "{errors}"
    );
    assert!(
        error_lines
            .iter()
            .any(|l| l.starts_with("error: missing.png: ")),
        "{errors}"
    );
    assert!(dir.path().join("good1.artistic.png").is_file());
    assert!(dir.path().join("good2.artistic.png").is_file());
    assert!(!dir.path().join("broken.artistic.png").exists());
    assert_eq!(stdout(&output).lines().count(), 2);
}

#[test]
fn an_unknown_style_is_a_usage_error_that_lists_the_styles() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.png"), ImageFormat::Png);

    let output = stylize(&["me.png", "--style", "anim"], dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("anim"), "{message}");
    for id in STYLE_IDS {
        assert!(message.contains(id), "{id} not offered in: {message}");
    }
    assert!(files_under(dir.path()) == vec![PathBuf::from("me.png")]);
}

#[test]
fn an_intensity_outside_zero_to_one_is_rejected() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.png"), ImageFormat::Png);

    let output = stylize(
        &["me.png", "--style", "anime", "--intensity", "2"],
        dir.path(),
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--intensity"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("me.anime.png").exists());
}

#[test]
fn a_missing_style_or_photo_is_a_usage_error() {
    let dir = temp_dir();

    let no_style = stylize(&["me.png"], dir.path());
    let no_photo = stylize(&["--style", "anime"], dir.path());

    assert_eq!(no_style.status.code(), Some(2));
    assert_eq!(no_photo.status.code(), Some(2));
}

#[test]
fn piped_stderr_carries_no_progress_bar_or_escape_codes() {
    let dir = temp_dir();
    write_photo(&dir.path().join("a.png"), ImageFormat::Png);
    fs::write(dir.path().join("b.png"), b"").unwrap_or_else(|e| panic!("{e}"));

    let output = stylize(&["a.png", "b.png", "--style", "light-color"], dir.path());

    let errors = stderr(&output);
    assert!(!errors.contains('\u{1b}'), "escape code in: {errors:?}");
    assert!(!errors.contains('\r'), "carriage return in: {errors:?}");
    for line in errors.lines() {
        assert!(
            line.starts_with("error: ") || line.starts_with("warning: "),
            "unexpected stderr line: {line:?}"
        );
    }
}

#[test]
fn running_twice_on_a_folder_does_not_stylize_its_own_results() {
    let dir = temp_dir();
    write_photo(&dir.path().join("photos/me.png"), ImageFormat::Png);
    write_photo(&dir.path().join("photos/you.jpeg"), ImageFormat::Jpeg);

    let first = stylize(&["photos", "--style", "anime"], dir.path());
    let second = stylize(&["photos", "--style", "anime"], dir.path());
    let other_style = stylize(&["photos", "--style", "clay-3d"], dir.path());

    for run in [&first, &second, &other_style] {
        assert!(run.status.success(), "stderr: {}", stderr(run));
        assert_eq!(stdout(run).lines().count(), 2, "stdout: {}", stdout(run));
    }
    let expected: Vec<PathBuf> = [
        "me.anime.png",
        "me.clay-3d.png",
        "me.png",
        "you.anime.png",
        "you.clay-3d.png",
        "you.jpeg",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(files_under(&dir.path().join("photos")), expected);
}

#[test]
fn the_same_photo_and_seed_give_identical_bytes() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.png"), ImageFormat::Png);
    let args = |out: &'static str| {
        [
            "me.png",
            "--style",
            "light-color",
            "--seed",
            "42",
            "--intensity",
            "0.7",
            "--out",
            out,
        ]
    };

    let first = stylize(&args("one"), dir.path());
    let second = stylize(&args("two"), dir.path());

    assert!(first.status.success(), "stderr: {}", stderr(&first));
    assert!(second.status.success(), "stderr: {}", stderr(&second));
    let one = read(&dir.path().join("one/me.light-color.png"));
    let two = read(&dir.path().join("two/me.light-color.png"));
    assert!(one == two, "outputs differ for the same seed");
}

#[test]
fn max_edge_shrinks_but_never_enlarges() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.png"), ImageFormat::Png);

    let shrunk = stylize(
        &[
            "me.png",
            "--style",
            "anime",
            "--max-edge",
            "32",
            "--out",
            "small",
        ],
        dir.path(),
    );
    let kept = stylize(
        &[
            "me.png",
            "--style",
            "anime",
            "--max-edge",
            "4000",
            "--out",
            "big",
        ],
        dir.path(),
    );

    assert!(shrunk.status.success(), "stderr: {}", stderr(&shrunk));
    assert!(kept.status.success(), "stderr: {}", stderr(&kept));
    let size = |path: &str| {
        image::image_dimensions(dir.path().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
    };
    assert_eq!(size("small/me.anime.png"), (32, 24));
    assert_eq!(size("big/me.anime.png"), (64, 48));
}

#[test]
fn crop_face_keeps_the_full_photo_with_a_warning_when_no_face_is_found() {
    let dir = temp_dir();
    write_photo(&dir.path().join("card.png"), ImageFormat::Png);

    let output = stylize(
        &["card.png", "--style", "anime", "--crop", "face"],
        dir.path(),
    );

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: card.png: no face found"),
        "stderr: {}",
        stderr(&output)
    );
    let size = image::image_dimensions(dir.path().join("card.anime.png"))
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(size, (64, 48));
}

#[test]
fn a_photo_named_explicitly_is_tried_whatever_its_extension() {
    let dir = temp_dir();
    write_photo(&dir.path().join("scan.dat"), ImageFormat::Png);

    let output = stylize(&["scan.dat", "--style", "detailed-sketch"], dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(dir.path().join("scan.detailed-sketch.png").is_file());
}

#[test]
fn a_result_never_overwrites_another_photo_of_the_same_run() {
    let dir = temp_dir();
    write_photo(&dir.path().join("me.png"), ImageFormat::Png);
    write_photo(&dir.path().join("me.anime.png"), ImageFormat::Png);
    let before = read(&dir.path().join("me.anime.png"));

    let output = stylize(&["me.png", "me.anime.png", "--style", "anime"], dir.path());

    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error: me.png: "),
        "stderr: {}",
        stderr(&output)
    );
    assert_eq!(read(&dir.path().join("me.anime.png")), before);
    assert!(dir.path().join("me.anime.anime.png").is_file());
}
