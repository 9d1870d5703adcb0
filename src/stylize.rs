//! `atelier stylize`: styles photos on this machine with the built-in engine, without the
//! service, database or accounts. It owns the command line, file I/O and reporting; the
//! pixels are the engine's business. Photos are done one after another on the main thread
//! because the engine already spreads one image over every core.

mod inputs;
mod report;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, PlanBuild, RgbImage, Style, analyze, crop_to_face,
    decode, encode, fit_max_edge, prepare_analysis, stylize_portrait,
};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use self::inputs::{Job, Naming};
use self::report::Reporter;

const AFTER_HELP: &str = "\
Each result is written as <stem>.<style>.<ext> beside its photo, or in --out DIR (photos found
in sub-folders of a PHOTO folder go to the same sub-folders under DIR). An existing result of
the same name is replaced; a photo itself is never overwritten. Folders are walked
recursively for .jpg, .jpeg, .png and .webp files (any case), skipping hidden entries and
earlier results (names like photo.anime.png); files named explicitly are always tried.
JPEG results end in .jpg.

Each written path is printed on stdout, one a line. Warnings (no face found, several faces)
and errors (`error: PATH: REASON`) go to stderr; a failed photo does not stop the others.
Exit status: 0 when every photo was written, 1 when any failed, 2 for a usage error.

Examples:
  atelier stylize photo.jpg --style anime
  atelier stylize photos/ --style light-color --out styled/ --format webp --max-edge 1024
  atelier stylize --list";

/// Arguments of `atelier stylize`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Photos (JPEG, PNG or WebP) or folders of photos.
    #[arg(value_name = "PHOTO", required_unless_present = "list")]
    photos: Vec<PathBuf>,

    /// The style to apply (see --list).
    #[arg(long, short, value_name = "S", required_unless_present = "list", value_parser = style_parser())]
    style: Option<Style>,

    /// List the styles with a one-line description, and exit.
    #[arg(long, exclusive = true)]
    list: bool,

    /// Folder for the results (created if missing) [default: beside each photo].
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Output format; results are PNG unless asked otherwise, whatever the photo's format.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Png)]
    format: OutputFormat,

    /// Shrink photos whose longer edge exceeds N pixels before styling (never enlarges).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(16..))]
    max_edge: Option<u32>,

    /// How strongly the style departs from the photo, from 0 (subtle) to 1 (strong).
    #[arg(long, value_name = "X", default_value_t = Params::default().intensity, value_parser = parse_intensity)]
    intensity: f32,

    /// Seed for the style's random textures: the same photo, style, options and seed always
    /// give the same result.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,

    /// Crop to the largest face found (the full photo is kept, with a warning, if none is).
    #[arg(long, value_enum, value_name = "WHAT")]
    crop: Option<Crop>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Png,
    #[value(alias = "jpg")]
    Jpeg,
    Webp,
}

impl OutputFormat {
    fn engine_format(self) -> Format {
        match self {
            OutputFormat::Png => Format::Png,
            OutputFormat::Jpeg => Format::Jpeg,
            OutputFormat::Webp => Format::WebP,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Webp => "webp",
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Crop {
    /// A portrait crop centred on the largest detected face.
    Face,
}

/// Offers the engine's style ids as clap's possible values, so `--help` lists them with their
/// descriptions and a typo gets "possible values" and a suggestion.
fn style_parser() -> impl TypedValueParser<Value = Style> {
    PossibleValuesParser::new(
        Style::ALL.map(|style| PossibleValue::new(style.id()).help(style.description())),
    )
    .try_map(|id| id.parse::<Style>())
}

fn parse_intensity(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a number from 0 to 1, such as 0.5".to_owned()),
    }
}

/// Runs the command; the exit code is 1 when any photo failed.
pub fn run(args: Args) -> ExitCode {
    if args.list {
        print_styles();
        return ExitCode::SUCCESS;
    }
    // clap already demands --style unless --list is given; this only keeps the type honest.
    let Some(style) = args.style else {
        eprintln!("error: --style is required");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let naming = Naming {
        out_dir: args.out.as_deref(),
        style,
        extension: args.format.extension(),
    };
    let plan = inputs::plan(&args.photos, &naming);

    for problem in &plan.problems {
        eprintln!("error: {}: {}", problem.path.display(), problem.reason);
    }
    for folder in &plan.empty_folders {
        eprintln!(
            "warning: {}: no .jpg, .jpeg, .png or .webp photo in this folder",
            folder.display()
        );
    }
    if plan.jobs.is_empty() && plan.problems.is_empty() {
        eprintln!("error: no photo to stylize");
        return ExitCode::FAILURE;
    }
    if !plan.jobs.is_empty() {
        // The networks' plans build while the first photo is read and decoded; quick plans,
        // because this process styles a few photos and exits (the first analysis waits for
        // them if they are not ready).
        std::thread::spawn(|| prepare_analysis(PlanBuild::Quick));
    }

    let settings = Settings {
        style,
        params: Params {
            intensity: args.intensity,
            seed: args.seed,
        },
        encode: EncodeOptions::new(args.format.engine_format(), style),
        max_edge: args.max_edge,
        crop_face: args.crop == Some(Crop::Face),
        limits: Limits::default(),
    };
    let reporter = Reporter::new(plan.jobs.len());
    let mut written = 0usize;
    let mut failed = plan.problems.len();
    for job in &plan.jobs {
        reporter.started(&job.input);
        match stylize_one(job, &settings, &reporter) {
            Ok(()) => {
                written += 1;
                reporter.written(&job.output);
            }
            Err(reason) => {
                failed += 1;
                reporter.error(&job.input, &reason);
            }
        }
        reporter.finished_one();
    }

    if reporter.is_interactive() {
        let whereto = match &args.out {
            Some(out) => format!("to {}", out.display()),
            None => "beside the photos".to_owned(),
        };
        let noun = if written == 1 {
            "portrait"
        } else {
            "portraits"
        };
        let mut summary = format!(
            "{written} {noun} written {whereto} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if failed > 0 {
            summary.push_str(&format!(", {failed} failed"));
        }
        reporter.finish(&summary);
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_styles() {
    let width = Style::ALL.iter().map(|s| s.id().len()).max().unwrap_or(0);
    for style in Style::ALL {
        println!("{:width$}  {}", style.id(), style.description());
    }
}

/// What every photo of a run is done with.
struct Settings {
    style: Style,
    params: Params,
    encode: EncodeOptions,
    max_edge: Option<u32>,
    crop_face: bool,
    limits: Limits,
}

/// Reads, styles and writes one photo; the error is the one-line reason to print.
fn stylize_one(job: &Job, settings: &Settings, reporter: &Reporter) -> Result<(), String> {
    let bytes = read_capped(&job.input, settings.limits.max_bytes)?;
    let photo = decode(&bytes, &settings.limits).map_err(|err| err.to_string())?;
    drop(bytes);

    let mut image = photo.image;
    // Analysis (faces, mesh, person mask) runs once on the image that is styled: after the
    // downscale, so it costs no more than the size asks. Only `--crop face` needs the faces of
    // the full photo first, and then the crop is analysed again (the networks see it anew).
    if !settings.crop_face
        && let Some(edge) = settings.max_edge
    {
        image = fit_max_edge(&image, edge);
    }
    let mut portrait = analyze(&image);
    let faces = portrait.face_boxes();
    match (faces.len(), settings.crop_face) {
        (0, false) => reporter.warning(&job.input, "no face found"),
        (0, true) => reporter.warning(&job.input, "no face found; keeping the full photo"),
        (1, _) => {}
        (n, false) => reporter.warning(&job.input, &format!("{n} faces")),
        (n, true) => reporter.warning(&job.input, &format!("{n} faces; cropping to the largest")),
    }
    if settings.crop_face {
        // `analyze` lists faces largest first.
        let cropped = faces.first().map(|face| crop_to_face(&image, face));
        let fitted = match (cropped, settings.max_edge) {
            (Some(crop), Some(edge)) => Some(fit_max_edge(&crop, edge)),
            (Some(crop), None) => Some(crop),
            (None, Some(edge)) => Some(fit_max_edge(&image, edge)),
            (None, None) => None,
        };
        if let Some(fitted) = fitted
            && fitted.dimensions() != image.dimensions()
        {
            image = fitted;
            portrait = analyze(&image);
        }
    }

    let styled: RgbImage = stylize_portrait(&image, &portrait, settings.style, &settings.params);
    let encoded = encode(&styled, &settings.encode)
        .map_err(|err| format!("cannot encode the result: {err}"))?;
    write_replacing(&job.output, &encoded)
}

/// Reads at most one byte past the engine's size cap, so a huge file named by mistake is
/// refused by `decode` without first being read whole into memory.
fn read_capped(path: &Path, max_bytes: usize) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|err| format!("cannot read: {err}"))?;
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read: {err}"))?;
    Ok(bytes)
}

/// Writes through a temporary file in the same folder and renames it into place, so an
/// interrupted run never leaves a truncated result under the final name.
fn write_replacing(output: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |err: std::io::Error| format!("cannot write {}: {err}", output.display());
    let dir = output.parent().filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(output.file_name().unwrap_or_default());
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = output.with_file_name(temp_name);
    let result = fs::write(&temp, bytes).and_then(|()| fs::rename(&temp, output));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(fail)
}
