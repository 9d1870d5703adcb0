//! The engine's input/output layer, from the outside: safe decoding of hostile uploads (C9)
//! and encoding with provenance metadata. Inputs are generated here rather than stored, so
//! each test shows exactly which bytes it feeds in.
// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use atelier_engine::{
    DecodeError, EncodeOptions, Format, Limits, RgbImage, Style, decode, encode, sniff,
};
use image::{ImageDecoder, ImageEncoder, ImageReader};

const PROVENANCE: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const SECRET: &[u8] = b"GPS 48.8584N 2.2945E secret-marker";

// ---------------------------------------------------------------------------------------
// Input builders: pictures and files made with `image`, independent of the code under test.

/// A picture whose quadrants differ, so rotations and flips are visible.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        match (x < width / 2, y < height / 2) {
            (true, true) => image::Rgb([230, 20, 20]),
            (false, true) => image::Rgb([20, 230, 20]),
            (true, false) => image::Rgb([20, 20, 230]),
            (false, false) => image::Rgb([240, 240, 240]),
        }
    })
}

fn png_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

fn jpeg_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("jpeg");
    out
}

fn webp_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::WebP)
        .expect("webp");
    out
}

/// A JPEG from `jpeg-encoder`: progressive (several scans) and/or with restart markers, the
/// framings image's own baseline encoder never writes.
fn jpeg_framed(img: &RgbImage, progressive: bool, restart_interval: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    encoder.set_restart_interval(restart_interval);
    let (width, height) = (img.width() as u16, img.height() as u16);
    encoder
        .encode(img.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .expect("jpeg");
    out
}

/// Where a JPEG's entropy-coded data lies: from just after the first SOS segment to its EOI.
fn jpeg_scan_data(jpeg: &[u8]) -> std::ops::Range<usize> {
    let sos = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("a start of scan");
    let header = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    assert_eq!(&jpeg[jpeg.len() - 2..], [0xFF, 0xD9], "ends with EOI");
    sos + 2 + header..jpeg.len() - 2
}

/// Where a PNG's IDAT data lies, and where its IEND chunk starts.
fn png_idat_data(png: &[u8]) -> (std::ops::Range<usize>, usize) {
    let idat = png
        .windows(4)
        .position(|w| w == b"IDAT")
        .expect("an IDAT chunk");
    let length = u32::from_be_bytes(png[idat - 4..idat].try_into().unwrap()) as usize;
    assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    (idat + 4..idat + 4 + length, png.len() - 12)
}

/// Files cut short at several points inside their picture data, each named: JPEGs
/// (baseline, progressive, with restarts) cut inside the scan data and just before or
/// inside EOI, PNGs cut inside IDAT and without IEND, WebPs cut inside the image chunk or
/// claiming a RIFF larger than the file.
fn truncated_files() -> Vec<(String, Format, Vec<u8>)> {
    let photo = quadrants(64, 48);
    let mut files = Vec::new();
    for (name, jpeg) in [
        ("baseline jpeg", jpeg_of(&photo)),
        ("progressive jpeg", jpeg_framed(&photo, true, 0)),
        ("jpeg with restarts", jpeg_framed(&photo, false, 2)),
    ] {
        let scan = jpeg_scan_data(&jpeg);
        let mut cuts: Vec<usize> = (1..5).map(|k| scan.start + scan.len() * k / 5).collect();
        cuts.extend([scan.start, scan.end, scan.end + 1]);
        for cut in cuts {
            files.push((
                format!("{name} cut at {cut}"),
                Format::Jpeg,
                jpeg[..cut].to_vec(),
            ));
        }
    }
    let png = png_of(&photo);
    let (idat, iend) = png_idat_data(&png);
    for cut in (0..4)
        .map(|k| idat.start + idat.len() * k / 4)
        .chain([iend, iend + 8])
    {
        files.push((
            format!("png cut at {cut}"),
            Format::Png,
            png[..cut].to_vec(),
        ));
    }
    let webp = webp_of(&photo);
    for cut in (1..4).map(|k| 20 + (webp.len() - 20) * k / 4) {
        files.push((
            format!("webp cut at {cut}"),
            Format::WebP,
            webp[..cut].to_vec(),
        ));
    }
    let mut overlong = webp.clone();
    let claimed = (webp.len() - 8 + 100) as u32;
    overlong[4..8].copy_from_slice(&claimed.to_le_bytes());
    files.push((
        "webp with a RIFF size past the end".into(),
        Format::WebP,
        overlong,
    ));
    files
}

/// Inserts an APP1 EXIF segment right after SOI holding one IFD0 entry, Orientation, plus a
/// second "maker note"-like ASCII entry carrying `SECRET` (standing in for GPS data).
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian TIFF header, IFD0 at 8
    tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, 1
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let text_offset = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]); // ImageDescription, ASCII
    tiff.extend_from_slice(&(SECRET.len() as u32 + 1).to_be_bytes());
    tiff.extend_from_slice(&(text_offset as u32).to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    tiff.extend_from_slice(SECRET);
    tiff.push(0);

    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(app1.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Rewrites a JPEG's SOF0 height and width in place.
fn with_jpeg_size(mut jpeg: Vec<u8>, width: u16, height: u16) -> Vec<u8> {
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF0");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// Rewrites a PNG's IHDR width and height and fixes its CRC, so only the size is a lie.
fn with_png_size(mut png: Vec<u8>, width: u32, height: u32) -> Vec<u8> {
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A small deterministic generator (xorshift64*): reproducible "random" files.
fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn assert_clean_refusal(name: &str, result: Result<atelier_engine::Decoded, DecodeError>) {
    let err = match result {
        Ok(d) => panic!(
            "{name}: expected an error, decoded {:?}",
            d.image.dimensions()
        ),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(!err.code().is_empty(), "{name}: empty code");
    assert!(
        !message.is_empty() && !message.contains('\n'),
        "{name}: {message:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Decoding: the must-fail corpus.

#[test]
fn empty_input_is_refused_as_an_empty_file() {
    let err = decode(&[], &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "empty-file");
}

#[test]
fn every_file_in_the_must_fail_corpus_is_refused_with_a_code_and_one_line() {
    let photo = quadrants(64, 48);
    let mut corpus: Vec<(String, Vec<u8>)> = vec![
        ("zero bytes".into(), vec![]),
        (
            "wrong magic".into(),
            b"\x89PNX\r\n\x1a\nrest of a file".to_vec(),
        ),
        (
            "plain text".into(),
            b"hello, this is not an image\n".to_vec(),
        ),
        (
            "gif".into(),
            b"GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04".to_vec(),
        ),
        ("bmp".into(), [b"BM".as_slice(), &[0u8; 60]].concat()),
        ("tiff".into(), b"II*\0\x08\0\0\0\0\0".to_vec()),
        (
            "heic".into(),
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
        ),
        (
            "svg".into(),
            b"<?xml version=\"1.0\"?><svg xmlns=\"x\"/>".to_vec(),
        ),
        ("riff but wave".into(), b"RIFF\x24\0\0\0WAVEfmt ".to_vec()),
        ("jpeg soi only".into(), vec![0xFF, 0xD8, 0xFF]),
        ("png signature only".into(), b"\x89PNG\r\n\x1a\n".to_vec()),
        ("webp header only".into(), b"RIFF\x04\0\0\0WEBP".to_vec()),
    ];
    // Cuts inside the headers leave no picture to show: they must all be errors.
    for (format, bytes) in [
        ("png", png_of(&photo)),
        ("jpeg", jpeg_of(&photo)),
        ("webp", webp_of(&photo)),
    ] {
        for cut in [4, 11, 20, 30] {
            corpus.push((format!("{format} cut at {cut}"), bytes[..cut].to_vec()));
        }
    }
    for (format, bytes) in [("png", png_of(&photo)), ("webp", webp_of(&photo))] {
        for cut in [bytes.len() / 2, bytes.len() - 9] {
            corpus.push((format!("{format} cut at {cut}"), bytes[..cut].to_vec()));
        }
    }
    corpus.extend(
        truncated_files()
            .into_iter()
            .map(|(name, _, bytes)| (name, bytes)),
    );
    for seed in 0..64 {
        let len = 1 + (seed as usize * 97) % 3000;
        corpus.push((format!("random {seed}"), pseudo_random_bytes(seed, len)));
    }

    for (name, bytes) in corpus {
        assert_clean_refusal(&name, decode(&bytes, &Limits::default()));
    }
}

#[test]
fn files_cut_short_inside_their_picture_data_are_refused_as_corrupt() {
    // Lenient decoders show such a file with grey or missing rows; Pillow refuses it, and so
    // do we: a half-grey portrait must not be accepted, let alone charged for.
    for (name, format, bytes) in truncated_files() {
        match decode(&bytes, &Limits::default()) {
            Ok(d) => panic!("{name}: decoded {:?}", d.image.dimensions()),
            Err(e) => {
                assert_eq!(e.code(), "corrupt-image", "{name}: {e:?}");
                assert_eq!(
                    e.to_string(),
                    format!("the {format} file is damaged or incomplete")
                );
            }
        }
    }
}

#[test]
fn a_jpeg_cut_short_anywhere_is_refused() {
    let jpeg = jpeg_of(&quadrants(64, 48));
    let scan = jpeg_scan_data(&jpeg);
    for cut in 1..jpeg.len() {
        let err = match decode(&jpeg[..cut], &Limits::default()) {
            Ok(d) => panic!("cut at {cut}: decoded {:?}", d.image.dimensions()),
            Err(e) => e,
        };
        assert!(!err.to_string().contains('\n'), "cut at {cut}");
        if cut >= scan.start {
            assert_eq!(err.code(), "corrupt-image", "cut at {cut}");
        }
    }
}

#[test]
fn the_fuzz_seeds_are_what_their_names_say() {
    // Each seed is a first byte (the fuzz target's knobs) and then the file.
    macro_rules! seed {
        ($name:literal) => {
            (
                $name,
                &include_bytes!(concat!("../../../fuzz/seeds/pipeline/", $name))[1..],
            )
        };
    }
    let whole = [
        seed!("jpg-01"),
        seed!("jpg-36"),
        seed!("png-00"),
        seed!("png-35"),
        seed!("png-gray16-05"),
        seed!("png-rgba-04"),
        seed!("webp-02"),
        seed!("webp-37"),
    ];
    let cut = [
        seed!("jpg-cut-scan-01"),
        seed!("jpg-no-eoi-01"),
        seed!("png-cut-idat-00"),
        seed!("png-no-iend-00"),
        seed!("webp-cut-02"),
        seed!("webp-riff-past-end-02"),
    ];
    for (name, bytes) in whole {
        assert!(decode(bytes, &Limits::default()).is_ok(), "{name}");
    }
    for (name, bytes) in cut {
        let code = decode(bytes, &Limits::default())
            .map(|_| ())
            .unwrap_err()
            .code();
        assert_eq!(code, "corrupt-image", "{name}");
    }
}

#[test]
fn random_bytes_behind_each_accepted_magic_are_refused() {
    let magics: [&[u8]; 3] = [
        &[0xFF, 0xD8, 0xFF],
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\x10\0\0WEBP",
    ];
    for (i, magic) in magics.iter().enumerate() {
        for seed in 0..32 {
            let bytes = [*magic, &pseudo_random_bytes(seed + 100 * i as u64, 2048)].concat();
            // Random entropy data after a magic cannot form a valid header.
            assert_clean_refusal(
                &format!("magic {i} seed {seed}"),
                decode(&bytes, &Limits::default()),
            );
        }
    }
}

#[test]
fn refused_formats_are_named_in_the_message() {
    let err = decode(b"GIF89a\x01\0\x01\0\0\0\0", &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "unsupported-format");
    assert_eq!(
        err.to_string(),
        "GIF images are not accepted; use JPEG, PNG or WebP"
    );
    let err = decode(
        b"BM\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("BMP images"), "{err}");
}

#[test]
fn a_png_header_claiming_65535_squared_pixels_is_refused_fast() {
    let png = with_png_size(png_of(&quadrants(8, 8)), 65535, 65535);
    let started = Instant::now();
    let err = decode(&png, &Limits::default()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "too-many-pixels", "{err}");
}

#[test]
fn a_jpeg_header_claiming_65535_squared_pixels_is_refused_fast() {
    let jpeg = with_jpeg_size(jpeg_of(&quadrants(8, 8)), 65535, 65535);
    let started = Instant::now();
    let err = decode(&jpeg, &Limits::default()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "too-many-pixels", "{err}");
}

#[test]
fn a_webp_header_claiming_16383_squared_pixels_is_refused_fast() {
    // Simple lossless file: "VP8L" at 12, its length at 16, signature 0x2F at 20, then
    // 14 bits width − 1, 14 bits height − 1, alpha and version bits. (16384 itself wraps to
    // 0 in image-webp 0.2.4's header parser, which we refuse as "no pixels" anyway.)
    let mut webp = webp_of(&quadrants(8, 8));
    assert_eq!((&webp[12..16], webp[20]), (&b"VP8L"[..], 0x2F));
    webp[21..25].copy_from_slice(&0x0FFF_BFFEu32.to_le_bytes());
    let started = Instant::now();
    let err = decode(&webp, &Limits::default()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "too-many-pixels", "{err}");
}

#[test]
fn a_webp_canvas_claiming_sixteen_million_pixels_a_side_is_refused_fast() {
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff".to_vec();
    webp.extend_from_slice(b"VP8L\x05\0\0\0\x2f\0\0\0\0\0");
    let riff_size = (webp.len() - 8) as u32;
    webp[4..8].copy_from_slice(&riff_size.to_le_bytes());
    let started = Instant::now();
    assert_clean_refusal("huge canvas", decode(&webp, &Limits::default()));
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_zero_width_png_is_refused() {
    let png = with_png_size(png_of(&quadrants(8, 8)), 0, 8);
    assert_clean_refusal("zero width", decode(&png, &Limits::default()));
}

#[test]
fn files_over_the_byte_limit_are_refused_before_decoding() {
    let png = png_of(&quadrants(64, 64));
    let limits = Limits {
        max_bytes: png.len() - 1,
        ..Limits::default()
    };
    assert_eq!(decode(&png, &limits).unwrap_err().code(), "too-large");
}

#[test]
fn images_over_the_pixel_limit_are_refused() {
    let png = png_of(&quadrants(100, 100));
    let limits = Limits {
        max_pixels: 9_999,
        ..Limits::default()
    };
    let err = decode(&png, &limits).unwrap_err();
    assert_eq!(err.code(), "too-many-pixels");
    assert_eq!(
        err.to_string(),
        "the image is 100×100 pixels; the limit is 9999 pixels"
    );
}

#[test]
fn images_needing_more_memory_than_allowed_are_refused() {
    let png = png_of(&quadrants(100, 100));
    let limits = Limits {
        max_alloc: 1_000,
        ..Limits::default()
    };
    assert_eq!(decode(&png, &limits).unwrap_err().code(), "decoder-limit");
}

// ---------------------------------------------------------------------------------------
// Decoding: what comes out of good files.

#[test]
fn the_format_is_sniffed_from_bytes_not_from_a_lying_name() {
    // A JPEG uploaded as "photo.png": only the bytes count.
    let jpeg = jpeg_of(&quadrants(32, 32));
    assert_eq!(sniff(&jpeg), Some(Format::Jpeg));
    let decoded = decode(&jpeg, &Limits::default()).unwrap();
    assert_eq!(decoded.format, Format::Jpeg);
    assert_eq!(decoded.image.dimensions(), (32, 32));
}

#[test]
fn whole_files_decode_whatever_their_framing_and_trailing_bytes() {
    // Cameras append trailers after EOI (and MPF files a second picture); bytes after IEND
    // or past the RIFF size are as harmless. Only a file that ends early is refused.
    let photo = quadrants(64, 48);
    let trailer = b"\0\0trailing bytes \xFF\xD8 of a camera";
    let mut files = vec![
        ("progressive jpeg", jpeg_framed(&photo, true, 0)),
        ("jpeg with restarts", jpeg_framed(&photo, false, 2)),
    ];
    for (name, bytes) in [
        ("jpeg", jpeg_of(&photo)),
        ("png", png_of(&photo)),
        ("webp", webp_of(&photo)),
    ] {
        files.push((name, bytes.clone()));
        files.push((name, [bytes.as_slice(), trailer].concat()));
    }
    let mut filled = jpeg_of(&photo);
    let scan = jpeg_scan_data(&filled);
    // Fill bytes before EOI, as some encoders pad.
    filled.splice(scan.end..scan.end, [0xFF, 0xFF, 0xFF]);
    files.push(("jpeg with fill bytes before EOI", filled));
    for (name, bytes) in files {
        let decoded = match decode(&bytes, &Limits::default()) {
            Ok(d) => d,
            Err(e) => panic!("{name} ({} bytes): {e:?}", bytes.len()),
        };
        assert_eq!(decoded.image.dimensions(), (64, 48), "{name}");
    }
}

#[test]
fn each_accepted_format_decodes_to_the_same_size() {
    let photo = quadrants(40, 30);
    for (format, bytes) in [
        (Format::Png, png_of(&photo)),
        (Format::Jpeg, jpeg_of(&photo)),
        (Format::WebP, webp_of(&photo)),
    ] {
        let decoded = decode(&bytes, &Limits::default()).unwrap();
        assert_eq!(
            (decoded.format, decoded.image.dimensions()),
            (format, (40, 30))
        );
    }
}

#[test]
fn exif_orientation_six_turns_the_picture_upright() {
    // Orientation 6: the stored picture must be turned 90° clockwise to show upright.
    let jpeg = with_exif_orientation(&jpeg_of(&quadrants(64, 32)), 6);
    let decoded = decode(&jpeg, &Limits::default()).unwrap();
    assert!(decoded.reoriented);
    assert_eq!(decoded.stored_size, (64, 32));
    assert_eq!(decoded.image.dimensions(), (32, 64));
    // The stored top-left (red) quadrant ends up top-right.
    let top_right = decoded.image.get_pixel(28, 4);
    assert!(top_right[0] > 180 && top_right[1] < 80, "{top_right:?}");
}

#[test]
fn alpha_is_composited_over_white() {
    let rgba = image::RgbaImage::from_fn(4, 4, |x, _| {
        if x < 2 {
            image::Rgba([0, 0, 0, 0])
        } else {
            image::Rgba([0, 0, 0, 255])
        }
    });
    let mut png = Vec::new();
    rgba.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let decoded = decode(&png, &Limits::default()).unwrap();
    assert_eq!(decoded.image.get_pixel(0, 0).0, [255, 255, 255]);
    assert_eq!(decoded.image.get_pixel(3, 0).0, [0, 0, 0]);
}

#[test]
fn sixteen_bit_grey_becomes_eight_bit_rgb() {
    let grey = image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(5, 3, image::Luma([0x8080]));
    let mut png = Vec::new();
    grey.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let decoded = decode(&png, &Limits::default()).unwrap();
    assert_eq!(decoded.image.get_pixel(4, 2).0, [0x80, 0x80, 0x80]);
}

fn png_with_icc(img: &RgbImage, icc: Vec<u8>) -> Vec<u8> {
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_icc_profile(icc).unwrap();
    encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    png
}

#[test]
fn a_display_p3_photo_is_converted_to_srgb() {
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let photo = RgbImage::from_pixel(8, 8, image::Rgb([40, 200, 60]));
    let decoded = decode(&png_with_icc(&photo, p3), &Limits::default()).unwrap();
    assert!(decoded.color_converted);
    // P3 green is more saturated than sRGB can show: red drops to 0, green stays high.
    let px = decoded.image.get_pixel(0, 0).0;
    assert!(px[0] < 40 && px[1] > 190, "{px:?}");
}

#[test]
fn a_grey_photo_with_a_grey_profile_becomes_grey_rgb() {
    // Gamma 1.0 grey: linear 50% must come out as sRGB's 50% grey, about 188.
    let linear = moxcms::ColorProfile::new_gray_with_gamma(1.0)
        .encode()
        .unwrap();
    let grey = image::GrayImage::from_pixel(6, 6, image::Luma([128]));
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_icc_profile(linear).unwrap();
    encoder
        .write_image(grey.as_raw(), 6, 6, image::ExtendedColorType::L8)
        .unwrap();
    let decoded = decode(&png, &Limits::default()).unwrap();
    assert!(decoded.color_converted);
    let [r, g, b] = decoded.image.get_pixel(3, 3).0;
    assert!(
        r == g && g == b && (184..=192).contains(&r),
        "{:?}",
        [r, g, b]
    );
}

#[test]
fn a_broken_icc_profile_is_ignored_not_fatal() {
    let photo = RgbImage::from_pixel(8, 8, image::Rgb([40, 200, 60]));
    let garbage = pseudo_random_bytes(7, 600);
    let decoded = decode(&png_with_icc(&photo, garbage), &Limits::default()).unwrap();
    assert!(!decoded.color_converted);
    assert_eq!(decoded.image.get_pixel(0, 0).0, [40, 200, 60]);
}

// ---------------------------------------------------------------------------------------
// Encoding with provenance.

fn xmp_read_back(format: Format, bytes: &[u8]) -> String {
    let format = match format {
        Format::Png => image::ImageFormat::Png,
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::WebP => image::ImageFormat::WebP,
    };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .unwrap();
    let xmp = decoder.xmp_metadata().unwrap().expect("an XMP packet");
    String::from_utf8(xmp).unwrap()
}

#[test]
fn every_output_format_carries_the_provenance_packet_and_decodes_back() {
    let photo = quadrants(33, 21); // odd sizes exercise padding
    for format in Format::ALL {
        let bytes = encode(&photo, &EncodeOptions::new(format, Style::Anime)).unwrap();
        let xmp = xmp_read_back(format, &bytes);
        assert!(xmp.contains(PROVENANCE), "{format}: {xmp}");
        assert!(xmp.contains("atelier:Style=\"anime\""), "{format}");
        assert!(xmp.contains(&format!("Atelier {}", atelier_engine::ENGINE_VERSION)));

        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (33, 21), "{format}");
        let ours = decode(&bytes, &Limits::default()).unwrap();
        assert_eq!(ours.format, format);
    }
}

#[test]
fn png_output_has_the_xmp_itxt_chunk_before_the_image_data_with_valid_crcs() {
    let png = encode(
        &quadrants(16, 16),
        &EncodeOptions::new(Format::Png, Style::Clay3d),
    )
    .unwrap();
    let mut pos = 8;
    let mut kinds = Vec::new();
    while pos + 12 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let body = &png[pos + 4..pos + 8 + len];
        let crc = u32::from_be_bytes(png[pos + 8 + len..pos + 12 + len].try_into().unwrap());
        assert_eq!(crc32fast::hash(body), crc, "CRC of {:?}", &body[..4]);
        kinds.push((
            String::from_utf8_lossy(&body[..4]).into_owned(),
            body[4..].to_vec(),
        ));
        pos += 12 + len;
    }
    assert_eq!(pos, png.len());
    let itxt = kinds.iter().position(|(k, _)| k == "iTXt").expect("iTXt");
    let idat = kinds.iter().position(|(k, _)| k == "IDAT").expect("IDAT");
    assert!(itxt < idat);
    assert!(
        kinds[itxt]
            .1
            .starts_with(b"XML:com.adobe.xmp\0\0\0\0\0<?xpacket")
    );
}

#[test]
fn jpeg_output_has_the_xmp_app1_segment() {
    let jpeg = encode(
        &quadrants(16, 16),
        &EncodeOptions::new(Format::Jpeg, Style::Artistic),
    )
    .unwrap();
    let marker = b"\xFF\xE1";
    let at = jpeg.windows(2).position(|w| w == marker).expect("APP1");
    assert_eq!(&jpeg[at + 4..at + 33], b"http://ns.adobe.com/xap/1.0/\0");
}

#[test]
fn webp_output_is_an_extended_riff_with_the_xmp_flag_and_chunk() {
    let webp = encode(
        &quadrants(33, 21),
        &EncodeOptions::new(Format::WebP, Style::LightColor),
    )
    .unwrap();
    assert_eq!(&webp[..4], b"RIFF");
    let riff_size = u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_size + 8, webp.len());
    assert_eq!(&webp[8..16], b"WEBPVP8X");
    assert_eq!(webp[20] & 0x04, 0x04, "XMP flag");
    let canvas_w = u32::from_le_bytes([webp[24], webp[25], webp[26], 0]) + 1;
    let canvas_h = u32::from_le_bytes([webp[27], webp[28], webp[29], 0]) + 1;
    assert_eq!((canvas_w, canvas_h), (33, 21));
    let mut pos = 12;
    let mut chunks = Vec::new();
    while pos + 8 <= webp.len() {
        let len = u32::from_le_bytes(webp[pos + 4..pos + 8].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&webp[pos..pos + 4]).into_owned());
        pos += 8 + len + len % 2; // chunks are padded to an even size
    }
    assert_eq!(pos, webp.len());
    assert_eq!(chunks, ["VP8X", "VP8L", "XMP "]);
}

#[test]
fn no_input_metadata_survives_into_any_output() {
    let upload = with_exif_orientation(&jpeg_of(&quadrants(32, 32)), 1);
    assert!(upload.windows(SECRET.len()).any(|w| w == SECRET));
    let decoded = decode(&upload, &Limits::default()).unwrap();
    for format in Format::ALL {
        let out = encode(&decoded.image, &EncodeOptions::new(format, Style::Anime)).unwrap();
        assert!(!out.windows(SECRET.len()).any(|w| w == SECRET), "{format}");
        assert!(!out.windows(6).any(|w| w == b"Exif\0\0"), "{format}");
    }
}

#[test]
fn encoding_the_same_pixels_twice_gives_the_same_bytes() {
    let photo = quadrants(50, 40);
    for format in Format::ALL {
        let opts = EncodeOptions::new(format, Style::RoughSketch);
        assert_eq!(
            encode(&photo, &opts).unwrap(),
            encode(&photo, &opts).unwrap(),
            "{format}"
        );
    }
}

#[test]
fn an_empty_image_cannot_be_encoded() {
    let err = encode(
        &RgbImage::new(0, 0),
        &EncodeOptions::new(Format::WebP, Style::Anime),
    );
    assert_eq!(err.unwrap_err().code(), "empty-image");
}

#[test]
fn an_image_wider_than_webp_allows_is_refused_cleanly() {
    let err = encode(
        &RgbImage::new(16_385, 1),
        &EncodeOptions::new(Format::WebP, Style::Anime),
    );
    assert_eq!(err.unwrap_err().code(), "too-large-for-format");
}

// ---------------------------------------------------------------------------------------
// Property: no byte string makes decode panic.

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn magic() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(vec![]),
            Just(vec![0xFF, 0xD8, 0xFF]),
            Just(b"\x89PNG\r\n\x1a\n".to_vec()),
            Just(b"RIFF\0\0\0\0WEBP".to_vec()),
            Just(b"RIFF\0\0\0\0WEBPVP8L".to_vec()),
            Just(b"RIFF\0\0\0\0WEBPVP8 ".to_vec()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decode_never_panics_on_arbitrary_bytes(
            head in magic(),
            tail in proptest::collection::vec(any::<u8>(), 0..1024),
        ) {
            let bytes = [head, tail].concat();
            let limits = Limits { max_pixels: 1 << 20, ..Limits::default() };
            if let Err(e) = decode(&bytes, &limits) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }

        #[test]
        fn decode_never_panics_on_mutated_real_files(
            format in 0usize..3,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let photo = quadrants(24, 16);
            let mut bytes = match format {
                0 => png_of(&photo),
                1 => jpeg_of(&photo),
                _ => webp_of(&photo),
            };
            let len = bytes.len();
            for (at, value) in flips {
                bytes[at % len] = value;
            }
            bytes.truncate(1 + cut % len);
            let _ = decode(&bytes, &Limits { max_pixels: 1 << 20, ..Limits::default() });
        }
    }
}
