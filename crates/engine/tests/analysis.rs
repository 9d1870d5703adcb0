//! Portrait analysis against the reference runtime: `analyze` must find the same faces, face
//! mesh and person mask as mediapipe 0.10.14 itself on the same photos (written by
//! `bench/reference_analysis.py` into tests/data/reference/), give the same result on any
//! number of threads, find no face where there is none, and survive any image size.
// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atelier_engine::{Limits, Portrait, RgbImage, analyze, decode, detect_faces};

const PHOTOS: [&str; 3] = ["astronaut.png", "grace_hopper.jpg", "camera.png"];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn photo(name: &str) -> RgbImage {
    let path = data(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode(&bytes, &Limits::default()).unwrap().image
}

/// One face as mediapipe reported it.
struct RefFace {
    /// x, y, width, height, score.
    bbox: [f32; 5],
    keypoints: Vec<[f32; 2]>,
    mesh: Vec<[f32; 3]>,
}

fn reference_faces(stem: &str) -> Vec<RefFace> {
    let text = std::fs::read_to_string(data(&format!("reference/{stem}.faces.txt"))).unwrap();
    let mut faces: Vec<RefFace> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap_or_default();
        let v: Vec<f32> = words.map(|w| w.parse().unwrap()).collect();
        match kind {
            "box" => faces.push(RefFace {
                bbox: [v[0], v[1], v[2], v[3], v[4]],
                keypoints: Vec::new(),
                mesh: Vec::new(),
            }),
            "keypoint" => faces.last_mut().unwrap().keypoints.push([v[0], v[1]]),
            "mesh" => faces.last_mut().unwrap().mesh.push([v[0], v[1], v[2]]),
            _ => {}
        }
    }
    faces
}

fn reference_mask(stem: &str) -> image::GrayImage {
    image::open(data(&format!("reference/{stem}.mask.png")))
        .unwrap()
        .to_luma8()
}

fn box_iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = ((a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0])).max(0.0);
    let iy = ((a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

#[test]
fn faces_and_meshes_match_the_reference_runtime() {
    for name in PHOTOS {
        let stem = name.split('.').next().unwrap();
        let expected = reference_faces(stem);
        let portrait = analyze(&photo(name));
        assert_eq!(portrait.faces.len(), expected.len(), "{name}: face count");
        for (face, want) in portrait.faces.iter().zip(&expected) {
            let b = face.bbox;
            let got = [b.x as f32, b.y as f32, b.width as f32, b.height as f32];
            let iou = box_iou(
                got,
                [want.bbox[0], want.bbox[1], want.bbox[2], want.bbox[3]],
            );
            let size = want.bbox[2].max(want.bbox[3]);
            let keypoint_error = face
                .keypoints
                .iter()
                .zip(&want.keypoints)
                .map(|(a, b)| distance(*a, *b))
                .sum::<f32>()
                / 6.0
                / size;
            eprintln!(
                "{name}: box {got:?} vs {:?}, IoU {iou:.3}, score {:.3} vs {:.3}, key points \
                 off by {:.2}% of the face",
                &want.bbox[..4],
                b.score,
                want.bbox[4],
                keypoint_error * 100.0
            );
            assert!(iou > 0.9, "{name}: box IoU {iou}");
            assert!(
                (b.score as f32 - want.bbox[4]).abs() < 0.03,
                "{name}: score"
            );
            assert!(keypoint_error < 0.01, "{name}: key points {keypoint_error}");

            assert_eq!(face.mesh.len(), want.mesh.len(), "{name}: mesh size");
            let n = want.mesh.len() as f32;
            let xy_error = face
                .mesh
                .iter()
                .zip(&want.mesh)
                .map(|(a, b)| distance([a[0], a[1]], [b[0], b[1]]))
                .sum::<f32>()
                / n
                / size;
            let z_error = face
                .mesh
                .iter()
                .zip(&want.mesh)
                .map(|(a, b)| (a[2] - b[2]).abs())
                .sum::<f32>()
                / n
                / size;
            eprintln!(
                "{name}: mesh off by {:.2}% (x, y) and {:.2}% (z) of the face",
                xy_error * 100.0,
                z_error * 100.0
            );
            assert!(xy_error < 0.01, "{name}: mesh x, y error {xy_error}");
            assert!(z_error < 0.01, "{name}: mesh z error {z_error}");
        }
    }
}

#[test]
fn the_person_mask_matches_the_reference_runtime() {
    for name in PHOTOS {
        let stem = name.split('.').next().unwrap();
        let want = reference_mask(stem);
        let portrait = analyze(&photo(name));
        let mask = &portrait.person;
        assert_eq!((mask.width, mask.height), want.dimensions(), "{name}");
        let (mut diff, mut inter, mut union) = (0.0f64, 0u64, 0u64);
        for (got, want) in mask.data.iter().zip(want.as_raw()) {
            let want = f32::from(*want) / 255.0;
            diff += f64::from((got - want).abs());
            let (a, b) = (*got >= 0.5, want >= 0.5);
            inter += u64::from(a && b);
            union += u64::from(a || b);
        }
        let mean_diff = diff / mask.data.len() as f64;
        let iou = inter as f64 / union.max(1) as f64;
        let share = union as f64 / mask.data.len() as f64;
        eprintln!("{name}: mask mean |diff| {mean_diff:.4}, IoU at 0.5 {iou:.4}");
        assert!(share > 0.1, "{name}: the reference finds a person");
        assert!(mean_diff < 0.02, "{name}: mean difference {mean_diff}");
        assert!(iou > 0.97, "{name}: IoU {iou}");
    }
}

#[test]
fn analysis_is_the_same_on_one_two_and_three_threads() {
    let image = photo("grace_hopper.jpg");
    let runs: Vec<Portrait> = (1..=3)
        .map(|threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| analyze(&image))
        })
        .collect();
    assert_eq!(runs[0].faces.len(), 1);
    assert!(runs.iter().all(|r| *r == runs[0]));
}

#[test]
fn there_is_no_face_in_flat_or_synthetic_images() {
    let grey = RgbImage::from_pixel(300, 200, image::Rgb([128, 128, 128]));
    let gradient = RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut state = 0x2545_f491_u32;
    let noise = RgbImage::from_fn(256, 256, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    for (what, image) in [("grey", grey), ("gradient", gradient), ("noise", noise)] {
        let portrait = analyze(&image);
        assert!(
            portrait.faces.is_empty(),
            "{what}: {:?}",
            portrait.face_boxes()
        );
        assert!(detect_faces(&image).is_empty(), "{what}");
        assert_eq!(portrait.person.data.len(), image.as_raw().len() / 3);
    }
}

#[test]
fn tiny_and_odd_sizes_give_a_portrait_of_their_own_size() {
    let face = photo("astronaut.png");
    for (w, h) in [
        (0, 0),
        (0, 100),
        (1, 1),
        (2, 3),
        (1, 5000),
        (5000, 1),
        (127, 129),
        (3000, 17),
    ] {
        let image = image::imageops::resize(&face, w, h, image::imageops::FilterType::Triangle);
        let portrait = analyze(&image);
        assert_eq!((portrait.person.width, portrait.person.height), (w, h));
        assert_eq!(portrait.person.data.len(), (w * h) as usize);
        assert!(portrait.person.data.iter().all(|v| (0.0..=1.0).contains(v)));
        for face in &portrait.faces {
            let b = face.bbox;
            assert!(
                b.x + b.width <= w.max(1) && b.y + b.height <= h.max(1),
                "{w}x{h} {b:?}"
            );
        }
    }
}

#[test]
fn faces_come_largest_first_with_a_mesh_inside_their_box() {
    // Two copies of the astronaut's head side by side, the left one at 60% of the size of the
    // right one (both large enough for a detector made for faces near the camera).
    let face = photo("astronaut.png");
    let head = image::imageops::crop_imm(&face, 125, 30, 200, 200).to_image();
    let small = image::imageops::resize(&head, 120, 120, image::imageops::FilterType::Triangle);
    let mut pair = RgbImage::from_pixel(320, 200, image::Rgb([0, 0, 0]));
    image::imageops::replace(&mut pair, &small, 0, 40);
    image::imageops::replace(&mut pair, &head, 120, 0);
    let portrait = analyze(&pair);
    let boxes = portrait.face_boxes();
    assert_eq!(boxes.len(), 2, "{boxes:?}");
    assert!(boxes[0].area() > 2 * boxes[1].area(), "{boxes:?}");
    assert!(
        boxes[0].x >= 120 && boxes[1].x + boxes[1].width <= 120,
        "{boxes:?}"
    );
    for face in &portrait.faces {
        assert_eq!(face.mesh.len(), 468);
        let b = face.bbox;
        let (cx, cy) = (
            face.mesh.iter().map(|p| p[0]).sum::<f32>() / 468.0,
            face.mesh.iter().map(|p| p[1]).sum::<f32>() / 468.0,
        );
        assert!(
            (b.x as f32..(b.x + b.width) as f32).contains(&cx),
            "{b:?} {cx}"
        );
        assert!(
            (b.y as f32..(b.y + b.height) as f32).contains(&cy),
            "{b:?} {cy}"
        );
    }
}

#[test]
fn a_turned_head_gives_a_turned_mesh() {
    // The astronaut turned by 30° clockwise: the eye line in the mesh turns with it.
    let face = photo("astronaut.png");
    let (sin, cos) = 30f32.to_radians().sin_cos();
    let turned = RgbImage::from_fn(512, 512, |x, y| {
        let (dx, dy) = (x as f32 - 256.0, y as f32 - 256.0);
        let (sx, sy) = (cos * dx + sin * dy + 256.0, -sin * dx + cos * dy + 256.0);
        if (0.0..511.0).contains(&sx) && (0.0..511.0).contains(&sy) {
            *face.get_pixel(sx as u32, sy as u32)
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    let eye_angle = |p: &Portrait| {
        let m = &p.faces[0].mesh;
        // Outer corners of the right (33) and left (263) eyes.
        (m[263][1] - m[33][1])
            .atan2(m[263][0] - m[33][0])
            .to_degrees()
    };
    let upright = eye_angle(&analyze(&face));
    let tilted = eye_angle(&analyze(&turned));
    assert!(
        (tilted - upright - 30.0).abs() < 4.0,
        "{upright}° → {tilted}°"
    );
}

/// CPU time this process has used so far (Linux; zero elsewhere), so the timing below means
/// something on a machine shared with other builds.
fn process_cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which ends with ')'): utime and stime are 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

#[test]
fn timing_of_the_three_networks() {
    // Figures for the benchmark note, not assertions: the target is <= 20 ms per photo. One
    // thread, so wall and CPU time can be compared (CPU time is what the photo costs when the
    // machine is busy with other work).
    let face = photo("grace_hopper.jpg");
    let flat = RgbImage::from_pixel(512, 600, image::Rgb([128, 128, 128]));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let _ = analyze(&face); // builds the plans once
        let rounds = 20u32;
        let time = |what: &str, run: &dyn Fn()| {
            let (wall, cpu) = (Instant::now(), process_cpu_time());
            for _ in 0..rounds {
                run();
            }
            let (wall, cpu) = (wall.elapsed() / rounds, (process_cpu_time() - cpu) / rounds);
            eprintln!("{what}: {wall:.1?} wall, {cpu:.1?} CPU per photo");
        };
        time("detector only (detect_faces, 512x600)", &|| {
            std::hint::black_box(detect_faces(&face));
        });
        time("detector + segmentation (analyze, no face)", &|| {
            std::hint::black_box(analyze(&flat));
        });
        time("all three networks (analyze, one face)", &|| {
            std::hint::black_box(analyze(&face));
        });
    });
}

#[test]
fn small_faces_of_a_group_are_found_where_the_full_range_detector_finds_them() {
    // The astronaut twice side by side: each face is a tenth of the photo's longer side, too
    // small for the short-range detector on the whole photo (mediapipe's own finds none), so
    // analysis searches it again in tiles. The reference is mediapipe's full-range detector,
    // another network, hence the looser bound than for the photos above.
    let face = photo("astronaut.png");
    let mut pair = RgbImage::new(1024, 512);
    image::imageops::replace(&mut pair, &face, 0, 0);
    image::imageops::replace(&mut pair, &face, 512, 0);
    let expected = reference_faces("astronaut_two_up");
    assert_eq!(expected.len(), 2);
    let portrait = analyze(&pair);
    let mut faces: Vec<&atelier_engine::Face> = portrait.faces.iter().collect();
    faces.sort_by_key(|f| f.bbox.x);
    assert_eq!(faces.len(), 2, "{:?}", portrait.face_boxes());
    assert_eq!(detect_faces(&pair).len(), 2);
    for (face, want) in faces.iter().zip(&expected) {
        let b = face.bbox;
        let got = [b.x as f32, b.y as f32, b.width as f32, b.height as f32];
        let iou = box_iou(
            got,
            [want.bbox[0], want.bbox[1], want.bbox[2], want.bbox[3]],
        );
        let nose = distance(face.keypoints[2], want.keypoints[2]) / want.bbox[2];
        eprintln!(
            "two-up: box {got:?} vs {:?}, IoU {iou:.3}; nose off by {:.1}% of the face",
            &want.bbox[..4],
            nose * 100.0
        );
        assert!(iou > 0.65, "IoU {iou}");
        // The full-range reference itself puts the nose of the two identical faces 7% of the
        // face apart; the engine's two agree to the pixel (asserted below).
        assert!(nose < 0.12, "nose {nose}");
        assert_eq!(face.mesh.len(), 468, "each small face gets its mesh");
    }
    // Both copies are the same face: the same box, one photo half apart.
    let (a, b) = (faces[0].bbox, faces[1].bbox);
    assert!(
        (i64::from(b.x) - i64::from(a.x) - 512).abs() <= 3 && a.y.abs_diff(b.y) <= 3,
        "{a:?} {b:?}"
    );
}

#[test]
fn tiles_find_no_face_in_a_busy_faceless_photo() {
    // Only the astronaut's flag, rocket and wall, her face and body painted over: the
    // whole-photo pass finds nothing there, so the tiles run, and must not find a face either.
    let mut scene = photo("astronaut.png");
    for (x, y, p) in scene.enumerate_pixels_mut() {
        if (90..420).contains(&x) && y > 20 {
            *p = image::Rgb([90, 95, 100]);
        }
    }
    let big = image::imageops::resize(&scene, 1400, 1400, image::imageops::FilterType::Triangle);
    for image in [&scene, &big] {
        let found = analyze(image).face_boxes();
        assert!(found.is_empty(), "{}: {found:?}", image.width());
    }
}
