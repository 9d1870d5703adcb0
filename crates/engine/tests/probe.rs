//! `probe`: a photo's header read without decoding its pixels, so a server can weigh a
//! decode before paying for it. It must agree with `decode` on the size and on
//! what is refused, and never touch the pixel data.

use std::io::Cursor;

use atelier_engine::{Format, Limits, RgbImage, decode, probe};

fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    })
}

fn encoded(img: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

#[test]
fn the_header_gives_format_size_and_buffer_as_decode_finds_them() {
    let img = picture(120, 80);
    for (format, expected) in [
        (image::ImageFormat::Png, Format::Png),
        (image::ImageFormat::Jpeg, Format::Jpeg),
        (image::ImageFormat::WebP, Format::WebP),
    ] {
        let bytes = encoded(&img, format);

        let header = probe(&bytes, &Limits::default()).expect("probe");
        let decoded = decode(&bytes, &Limits::default()).expect("decode");

        assert_eq!(header.format, expected);
        assert_eq!((header.width, header.height), decoded.stored_size);
        assert_eq!(header.pixels(), 120 * 80);
        assert!(header.decoded_bytes >= 3 * 120 * 80, "{header:?}");
    }
}

#[test]
fn only_the_header_is_read_so_a_file_cut_after_it_still_probes() {
    let bytes = encoded(&picture(640, 480), image::ImageFormat::Jpeg);
    let cut = &bytes[..bytes.len() / 2];

    let header = probe(cut, &Limits::default()).expect("probe");

    assert_eq!((header.width, header.height), (640, 480));
}

#[test]
fn what_decode_refuses_by_its_header_probe_refuses_with_the_same_code() {
    let bytes = encoded(&picture(100, 100), image::ImageFormat::Png);
    let small = Limits {
        max_pixels: 5_000,
        ..Limits::default()
    };
    let cases: [(&[u8], &Limits); 4] = [
        (b"", &Limits::default()),
        (b"GIF89a and the rest", &Limits::default()),
        (&bytes, &small),
        (&bytes[..20], &Limits::default()),
    ];

    for (input, limits) in cases {
        let probed = probe(input, limits).expect_err("probe refuses");
        let decoded = decode(input, limits).expect_err("decode refuses");

        assert_eq!(probed.code(), decoded.code(), "{probed}");
    }
}
