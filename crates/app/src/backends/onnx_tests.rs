//! ONNX styles with real models: the tests write small convolution networks as ONNX protobuf
//! (tract's own `pb` types, encoded with prost), configure them in an `atelier.toml` the way
//! an operator would, run them through the catalog and compare every pixel with the same
//! computation done here by hand. Weights are chosen so the float arithmetic is exact in any
//! summation order (single products, or sums of dyadic fractions), so "pixel-exact" holds.

use std::path::{Path, PathBuf};

use prost::Message;
use tokio::sync::watch;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, type_proto,
};

use super::{from_model, to_model};
use crate::backends::{Catalog, Generated, Generation};
use crate::config::{Config, Overrides};
use crate::testing::photo_png;

const FLOAT: i32 = 1;
const INTS: i32 = 7;

fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .enumerate()
        .map(|(i, d)| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n),
                None => dimension::Value::DimParam(format!("d{i}")),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: FLOAT,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: INTS,
        ints: values.to_vec(),
        ..Default::default()
    }
}

fn tensor(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: FLOAT,
        float_data: values,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

/// A Conv of `weights` (3 out × 3 in × k × k) and `bias`, NCHW or wrapped in Transposes for
/// NHWC; `side` fixes the input's height and width when given.
fn conv_model(weights: Vec<f32>, bias: Vec<f32>, k: i64, nhwc: bool, side: Option<i64>) -> Vec<u8> {
    let pad = k / 2;
    let conv_attrs = vec![
        ints("kernel_shape", &[k, k]),
        ints("pads", &[pad, pad, pad, pad]),
    ];
    let (nodes, input_dims) = if nhwc {
        (
            vec![
                node(
                    "Transpose",
                    &["x"],
                    "x_nchw",
                    vec![ints("perm", &[0, 3, 1, 2])],
                ),
                node("Conv", &["x_nchw", "w", "b"], "y_nchw", conv_attrs),
                node(
                    "Transpose",
                    &["y_nchw"],
                    "y",
                    vec![ints("perm", &[0, 2, 3, 1])],
                ),
            ],
            vec![Some(1), side, side, Some(3)],
        )
    } else {
        (
            vec![node("Conv", &["x", "w", "b"], "y", conv_attrs)],
            vec![Some(1), Some(3), side, side],
        )
    };
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "atelier-tests".into(),
        graph: Some(GraphProto {
            name: "conv".into(),
            node: nodes,
            initializer: vec![tensor("w", &[3, 3, k, k], weights), tensor("b", &[3], bias)],
            input: vec![value_info("x", &input_dims)],
            output: vec![value_info("y", &[None, None, None, None])],
            ..Default::default()
        }),
        ..Default::default()
    };
    model.encode_to_vec()
}

/// out0 = in2, out1 = in1 / 2 + 1/4, out2 = −in0: channel swaps, a scale and an inversion.
fn pointwise_weights() -> (Vec<f32>, Vec<f32>) {
    #[rustfmt::skip]
    let w = vec![
        0.0, 0.0, 1.0,
        0.0, 0.5, 0.0,
        -1.0, 0.0, 0.0,
    ];
    (w, vec![0.0, 0.25, 0.0])
}

fn pointwise_expected(pixel: [u8; 3], range: [f32; 2]) -> [u8; 3] {
    let v = pixel.map(|c| to_model(c, range));
    [v[2], 0.5 * v[1] + 0.25, -v[0]].map(|x| from_model(x, range))
}

/// A 3×3 binomial blur per channel (weights 1, 2, 4 sixteenths): sums of dyadic fractions.
fn blur_weights() -> (Vec<f32>, Vec<f32>) {
    let kernel = [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0].map(|w: f32| w / 16.0);
    let mut w = vec![0.0; 3 * 3 * 9];
    for c in 0..3 {
        let start = (c * 3 + c) * 9;
        w[start..start + 9].copy_from_slice(&kernel);
    }
    (w, vec![0.0; 3])
}

fn blur_expected(image: &image::RgbImage) -> image::RgbImage {
    let kernel = [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]];
    let (w, h) = (image.width() as i64, image.height() as i64);
    image::RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let mut out = [0u8; 3];
        for (c, value) in out.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for (dy, row) in kernel.iter().enumerate() {
                for (dx, weight) in row.iter().enumerate() {
                    let (sx, sy) = (i64::from(x) + dx as i64 - 1, i64::from(y) + dy as i64 - 1);
                    if (0..w).contains(&sx) && (0..h).contains(&sy) {
                        let p = image.get_pixel(sx as u32, sy as u32).0[c];
                        sum += f32::from(p) * (weight / 16.0);
                    }
                }
            }
            *value = from_model(sum, [0.0, 255.0]);
        }
        image::Rgb(out)
    })
}

/// Writes `model` and an `atelier.toml` with one ONNX style `net` (`onnx_table` is its
/// `[styles.onnx]` body), then loads the config as `atelier serve --config` would.
fn operator_config(dir: &Path, model: &[u8], onnx_table: &str) -> Config {
    let model_path: PathBuf = dir.join("net.onnx");
    std::fs::write(&model_path, model).expect("write model");
    let toml = format!(
        r#"
[[styles]]
id = "net"
labels = {{ en-US = "Network" }}
backend = "onnx"
model = "{}"

[styles.onnx]
{onnx_table}
"#,
        model_path.display()
    );
    let config_path = dir.join("atelier.toml");
    std::fs::write(&config_path, toml).expect("write config");
    Config::load(
        Some(&config_path),
        std::iter::empty(),
        &Overrides::default(),
    )
    .expect("config")
}

fn source_image(width: u32, height: u32) -> (Vec<u8>, image::RgbImage) {
    let png = photo_png(width, height);
    let decoded = atelier_engine::decode(&png, &atelier_engine::Limits::default())
        .expect("decode")
        .image;
    (png, decoded)
}

async fn run(config: &Config, photo: &[u8]) -> image::RgbImage {
    let catalog = Catalog::from_config(config).expect("catalog");
    let style = catalog.get("net").expect("style").clone();
    let (progress, _) = watch::channel(0.0);
    let request = Generation {
        photo: Some(photo),
        prompt: None,
        intensity: 0.5,
        seed: 0,
        limits: &atelier_engine::Limits::default(),
        progress: &progress,
    };
    match style.guard.call(|| style.backend.generate(&request)).await {
        Ok(Generated::Image(image)) => image,
        Ok(Generated::Untrusted(_)) => panic!("an ONNX style makes pixels, not bytes"),
        Err(e) => panic!("the model failed: {e}"),
    }
}

#[tokio::test]
async fn an_nchw_model_in_the_minus_one_to_one_range_gives_the_exact_expected_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, b) = pointwise_weights();
    let config = operator_config(
        dir.path(),
        &conv_model(w, b, 1, false, None),
        "layout = \"nchw\"\ninput_range = [-1.0, 1.0]",
    );
    let (png, source) = source_image(37, 23);

    let output = run(&config, &png).await;

    let expected = image::RgbImage::from_fn(37, 23, |x, y| {
        image::Rgb(pointwise_expected(source.get_pixel(x, y).0, [-1.0, 1.0]))
    });
    assert_eq!(output.dimensions(), (37, 23));
    assert!(output == expected, "pixels differ");
}

#[tokio::test]
async fn an_nhwc_model_in_the_zero_to_one_range_gives_the_exact_expected_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, b) = pointwise_weights();
    let config = operator_config(
        dir.path(),
        &conv_model(w, b, 1, true, None),
        "layout = \"nhwc\"\ninput_range = [0.0, 1.0]",
    );
    let (png, source) = source_image(20, 31);

    let output = run(&config, &png).await;

    let expected = image::RgbImage::from_fn(20, 31, |x, y| {
        image::Rgb(pointwise_expected(source.get_pixel(x, y).0, [0.0, 1.0]))
    });
    assert!(output == expected, "pixels differ");
}

#[tokio::test]
async fn tiles_with_overlap_stitch_to_the_whole_image_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, b) = blur_weights();
    let config = operator_config(
        dir.path(),
        &conv_model(w, b, 3, false, None),
        "input_range = [0.0, 255.0]\ntile = 16\ntile_overlap = 2",
    );
    let (png, source) = source_image(41, 27);

    let output = run(&config, &png).await;

    assert!(output == blur_expected(&source), "stitched tiles differ");
}

#[tokio::test]
async fn a_model_with_a_fixed_input_size_sets_the_tile_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, b) = blur_weights();
    let config = operator_config(
        dir.path(),
        &conv_model(w, b, 3, false, Some(12)),
        "input_range = [0.0, 255.0]\ntile_overlap = 1",
    );
    let (png, source) = source_image(30, 19);

    let output = run(&config, &png).await;

    assert!(output == blur_expected(&source), "stitched tiles differ");
}

#[test]
fn a_malformed_model_file_is_a_start_up_error_naming_the_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = operator_config(dir.path(), b"this is not protobuf \xff\xfe", "");

    let error = Catalog::from_config(&config).err().expect("an error");

    assert!(error.starts_with("style `net`:"), "{error}");
    assert!(error.contains("net.onnx"), "{error}");
}

#[test]
fn a_model_that_is_not_an_image_network_is_refused_at_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, b) = pointwise_weights();
    // Declared NHWC while the model is NCHW: its channels axis is not 3.
    let config = operator_config(
        dir.path(),
        &conv_model(w, b, 1, false, Some(8)),
        "layout = \"nhwc\"",
    );

    let error = Catalog::from_config(&config).err().expect("an error");

    assert!(error.starts_with("style `net`:"), "{error}");
}

#[test]
fn a_missing_model_file_is_a_start_up_error_naming_the_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = operator_config(dir.path(), b"", "");
    config.styles[0].model = Some(dir.path().join("absent.onnx"));

    let error = Catalog::from_config(&config).err().expect("an error");

    assert!(error.contains("style `net`"), "{error}");
    assert!(error.contains("absent.onnx"), "{error}");
}
