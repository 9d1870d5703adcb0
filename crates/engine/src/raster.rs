//! Planar and interleaved f32 rasters and the separable building blocks the styles share:
//! conversion from and to 8-bit sRGB, half-resolution resampling, Gaussian blur and transpose.
//!
//! Everything here is row-parallel with rayon and deterministic: each output value depends only
//! on the input, never on how rows were split across threads. Inner loops run over plain slices
//! with fixed offsets so the compiler can vectorise them across x.

use rayon::prelude::*;

use crate::RgbImage;

/// Rows handed to one rayon task at a time: large enough to amortise scheduling, small enough
/// to balance two to sixteen cores on a 1–4 MP image.
const ROWS_PER_TASK: usize = 16;

/// A `w × h` raster with `c` interleaved f32 channels (1 for gray planes, 2 for vector fields,
/// 3 for colour), stored row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    pub w: usize,
    pub h: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Raster {
    pub fn new(w: usize, h: usize, c: usize) -> Raster {
        Raster {
            w,
            h,
            c,
            data: vec![0.0; w * h * c],
        }
    }

    /// Number of f32 values in one row.
    #[inline]
    pub fn stride(&self) -> usize {
        self.w * self.c
    }

    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        let s = self.stride();
        &self.data[y * s..(y + 1) * s]
    }

    /// Bilinear sample of all `C` channels at a real-valued position, clamped at the borders.
    #[inline]
    pub fn sample_px<const C: usize>(&self, x: f32, y: f32) -> [f32; C] {
        let xf = x.clamp(0.0, (self.w - 1) as f32);
        let yf = y.clamp(0.0, (self.h - 1) as f32);
        let (x0, y0) = (xf as usize, yf as usize);
        let (fx, fy) = (xf - x0 as f32, yf - y0 as f32);
        let dx = if x0 + 1 < self.w { C } else { 0 };
        let dy = if y0 + 1 < self.h { self.w * C } else { 0 };
        let i = (y0 * self.w + x0) * C;
        let top = &self.data[i..i + dx + C];
        let bottom = &self.data[i + dy..i + dy + dx + C];
        let mut out = [0f32; C];
        for ch in 0..C {
            let t = top[ch] + (top[dx + ch] - top[ch]) * fx;
            let b = bottom[ch] + (bottom[dx + ch] - bottom[ch]) * fx;
            out[ch] = t + (b - t) * fy;
        }
        out
    }

    /// Applies `f` to every row in parallel; `f` gets the row index and the row's values.
    pub fn par_rows_mut(&mut self, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
        self.par_rows_mut_with(|| (), |_, y, row| f(y, row));
    }

    /// Like `par_rows_mut`, with a per-task scratch value made by `init` (row buffers for
    /// noise, paper and the like), so a pass allocates nothing per row.
    pub fn par_rows_mut_with<T>(
        &mut self,
        init: impl Fn() -> T + Sync + Send,
        f: impl Fn(&mut T, usize, &mut [f32]) + Sync + Send,
    ) {
        let s = self.stride();
        self.data
            .par_chunks_mut(s * ROWS_PER_TASK)
            .enumerate()
            .for_each_init(init, |scratch, (chunk, rows)| {
                for (i, row) in rows.chunks_exact_mut(s).enumerate() {
                    f(scratch, chunk * ROWS_PER_TASK + i, row);
                }
            });
    }

    /// Builds a new raster row by row in parallel.
    pub fn from_rows(
        w: usize,
        h: usize,
        c: usize,
        f: impl Fn(usize, &mut [f32]) + Sync + Send,
    ) -> Raster {
        let mut out = Raster::new(w, h, c);
        out.par_rows_mut(f);
        out
    }

    /// Like `from_rows`, with a per-task scratch value (see `par_rows_mut_with`).
    pub fn from_rows_with<T>(
        w: usize,
        h: usize,
        c: usize,
        init: impl Fn() -> T + Sync + Send,
        f: impl Fn(&mut T, usize, &mut [f32]) + Sync + Send,
    ) -> Raster {
        let mut out = Raster::new(w, h, c);
        out.par_rows_mut_with(init, f);
        out
    }
}

/// Builds the final 8-bit sRGB image row by row in parallel: `f` fills a row of `c` (1: gray,
/// 3: colour) f32 channels in 0..1 with a per-task scratch value made by `init`, and the row
/// is rounded straight into the output, so no full-size f32 copy of the result ever exists.
/// Values are clamped; NaN becomes 0.
pub fn rows_to_rgb8<T>(
    w: usize,
    h: usize,
    c: usize,
    init: impl Fn() -> T + Sync + Send,
    f: impl Fn(&mut T, usize, &mut [f32]) + Sync + Send,
) -> RgbImage {
    debug_assert!(c == 1 || c == 3);
    let mut bytes = vec![0u8; w * h * 3];
    if w > 0 {
        bytes
            .par_chunks_mut(w * 3 * ROWS_PER_TASK)
            .enumerate()
            .for_each_init(
                || (init(), vec![0f32; w * c]),
                |(scratch, row), (chunk, rows)| {
                    for (i, out) in rows.chunks_exact_mut(w * 3).enumerate() {
                        f(scratch, chunk * ROWS_PER_TASK + i, row);
                        // `as u8` saturates and maps NaN to 0, which is what we want at the edge.
                        if c == 3 {
                            for (o, &v) in out.iter_mut().zip(row.iter()) {
                                *o = (v * 255.0 + 0.5) as u8;
                            }
                        } else {
                            for (o, &v) in out.chunks_exact_mut(3).zip(row.iter()) {
                                o.fill((v * 255.0 + 0.5) as u8);
                            }
                        }
                    }
                },
            );
    }
    RgbImage::from_raw(w as u32, h as u32, bytes).unwrap_or_else(|| RgbImage::new(0, 0))
}

/// Rec. 709 luma of gamma-encoded RGB, 0..1.
pub fn luma(rgb: &Raster) -> Raster {
    Raster::from_rows(rgb.w, rgb.h, 1, |y, out| {
        for (o, px) in out.iter_mut().zip(rgb.row(y).chunks_exact(3)) {
            *o = 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
        }
    })
}

/// CIE L* (0..100) of 8-bit sRGB through lookup tables: the sRGB decode per channel and the
/// cube-root companding of Y are both tabulated, so a pixel costs three loads and a lerp.
pub struct LightnessLut {
    decode: [f32; 256],
    compand: Vec<f32>,
}

impl LightnessLut {
    const STEPS: usize = 4096;

    pub fn new() -> LightnessLut {
        let mut decode = [0f32; 256];
        for (v, d) in decode.iter_mut().enumerate() {
            let c = v as f32 / 255.0;
            *d = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
        }
        let compand = (0..=Self::STEPS + 1)
            .map(|i| {
                let t = (i.min(Self::STEPS)) as f32 / Self::STEPS as f32;
                let f = if t > 216.0 / 24389.0 {
                    t.cbrt()
                } else {
                    (24389.0 / 27.0 * t + 16.0) / 116.0
                };
                116.0 * f - 16.0
            })
            .collect();
        LightnessLut { decode, compand }
    }

    #[inline]
    pub fn of(&self, px: &[u8]) -> f32 {
        let lum = 0.2126 * self.decode[px[0] as usize]
            + 0.7152 * self.decode[px[1] as usize]
            + 0.0722 * self.decode[px[2] as usize];
        let pos = lum.clamp(0.0, 1.0) * Self::STEPS as f32;
        let i = pos as usize;
        let f = pos - i as f32;
        self.compand[i] + (self.compand[i + 1] - self.compand[i]) * f
    }
}

/// Maps every 8-bit pixel to `c` values with `f` and averages them over blocks of
/// `2^levels × 2^levels` pixels, in one pass over the image (no full-size f32 copy).
pub fn reduce_pixels(
    image: &RgbImage,
    levels: u32,
    c: usize,
    f: impl Fn(&[u8], &mut [f32]) + Sync + Send,
) -> Raster {
    let k = 1usize << levels;
    let (fw, fh) = (image.width() as usize, image.height() as usize);
    let (w, h) = (fw.div_ceil(k), fh.div_ceil(k));
    let src = image.as_raw();
    Raster::from_rows_with(
        w,
        h,
        c,
        || vec![0f32; c],
        |value, y, out| {
            out.fill(0.0);
            let rows = (y * k)..((y + 1) * k).min(fh);
            let row_count = rows.len();
            for sy in rows {
                let row = &src[sy * fw * 3..(sy + 1) * fw * 3];
                for (x, px) in row.chunks_exact(3).enumerate() {
                    f(px, value);
                    let cell = x >> levels;
                    let o = &mut out[cell * c..(cell + 1) * c];
                    for (o, v) in o.iter_mut().zip(value.iter()) {
                        *o += v;
                    }
                }
            }
            for (x, o) in out.chunks_exact_mut(c).enumerate() {
                let cols = k.min(fw - x * k);
                let inv = 1.0 / (cols * row_count) as f32;
                o.iter_mut().for_each(|v| *v *= inv);
            }
        },
    )
}

/// Averages `src` over blocks of `2^levels × 2^levels` pixels (sizes round up).
pub fn reduce_raster(src: &Raster, levels: u32) -> Raster {
    reduce_slice(&src.data, src.w, src.h, src.c, levels)
}

/// `reduce_raster` of a `w × h` plane of `c` channels held in `data` (row-major), without
/// first copying it into a `Raster`.
pub fn reduce_slice(data: &[f32], src_w: usize, src_h: usize, c: usize, levels: u32) -> Raster {
    if levels == 0 {
        return Raster {
            w: src_w,
            h: src_h,
            c,
            data: data.to_vec(),
        };
    }
    let k = 1usize << levels;
    let (w, h) = (src_w.div_ceil(k), src_h.div_ceil(k));
    let stride = src_w * c;
    Raster::from_rows(w, h, c, |y, out| {
        out.fill(0.0);
        let rows = (y * k)..((y + 1) * k).min(src_h);
        let row_count = rows.len();
        for sy in rows {
            let row = &data[sy * stride..(sy + 1) * stride];
            for (x, px) in row.chunks_exact(c).enumerate() {
                let cell = x >> levels;
                for (o, v) in out[cell * c..(cell + 1) * c].iter_mut().zip(px) {
                    *o += v;
                }
            }
        }
        for (x, o) in out.chunks_exact_mut(c).enumerate() {
            let inv = 1.0 / (k.min(src_w - x * k) * row_count) as f32;
            o.iter_mut().for_each(|v| *v *= inv);
        }
    })
}

/// Bilinear upsampling of a reduced raster to `w × h`, produced one output row at a time so a
/// style's final pass can read full-size values from a row buffer (pixel centres aligned; the
/// horizontal taps are computed once).
pub struct Upsampler<'a> {
    src: &'a Raster,
    taps: Vec<(usize, usize, f32)>,
    scale_y: f32,
}

impl<'a> Upsampler<'a> {
    pub fn new(src: &'a Raster, w: usize, h: usize) -> Upsampler<'a> {
        let sx = src.w as f32 / w as f32;
        let taps = (0..w)
            .map(|x| {
                let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (src.w - 1) as f32);
                let x0 = fx as usize;
                (x0, (x0 + 1).min(src.w - 1), fx - x0 as f32)
            })
            .collect();
        Upsampler {
            src,
            taps,
            scale_y: src.h as f32 / h as f32,
        }
    }

    /// Writes output row `y` (all channels, interleaved) into `out`.
    pub fn row(&self, y: usize, out: &mut [f32]) {
        let src = self.src;
        let c = src.c;
        let fy = ((y as f32 + 0.5) * self.scale_y - 0.5).clamp(0.0, (src.h - 1) as f32);
        let y0 = fy as usize;
        let wy = fy - y0 as f32;
        let (r0, r1) = (src.row(y0), src.row((y0 + 1).min(src.h - 1)));
        for (o, &(x0, x1, wx)) in out.chunks_exact_mut(c).zip(&self.taps) {
            for ch in 0..c {
                let top = r0[x0 * c + ch] + (r0[x1 * c + ch] - r0[x0 * c + ch]) * wx;
                let bottom = r1[x0 * c + ch] + (r1[x1 * c + ch] - r1[x0 * c + ch]) * wx;
                o[ch] = top + (bottom - top) * wy;
            }
        }
    }
}

/// A rational approximation of tanh (max error about 2·10⁻² near |x| = 2, exact limits):
/// several times cheaper than `f32::tanh` in per-pixel threshold ramps, and deterministic.
#[inline]
pub fn fast_tanh(x: f32) -> f32 {
    let x = x.clamp(-3.0, 3.0);
    let x2 = x * x;
    x * (27.0 + x2) / (27.0 + 9.0 * x2)
}

/// Normalised Gaussian taps for `sigma`, radius ⌈3σ⌉.
pub fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let sigma = sigma.max(0.05);
    let r = (3.0 * sigma).ceil() as isize;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// Separable Gaussian blur of every channel.
pub fn gaussian_blur(src: &Raster, sigma: f32) -> Raster {
    let k = gaussian_kernel(sigma);
    convolve_separable(src, &k)
}

/// Convolves rows then columns with the same symmetric kernel, borders clamped.
pub fn convolve_separable(src: &Raster, k: &[f32]) -> Raster {
    let r = k.len() / 2;
    let (w, h, c) = (src.w, src.h, src.c);
    let s = src.stride();
    // Rows: copy each row into a clamped, padded scratch so the tap loop has no branches.
    let mut tmp = Raster::new(w, h, c);
    tmp.data
        .par_chunks_mut(s * ROWS_PER_TASK)
        .enumerate()
        .for_each_init(
            || vec![0f32; (w + 2 * r) * c],
            |pad, (chunk, rows)| {
                for (i, out) in rows.chunks_exact_mut(s).enumerate() {
                    let row = src.row(chunk * ROWS_PER_TASK + i);
                    for x in 0..w + 2 * r {
                        let sx = x.saturating_sub(r).min(w - 1);
                        pad[x * c..(x + 1) * c].copy_from_slice(&row[sx * c..(sx + 1) * c]);
                    }
                    out.fill(0.0);
                    for (t, &kt) in k.iter().enumerate() {
                        let shifted = &pad[t * c..t * c + s];
                        for (o, &v) in out.iter_mut().zip(shifted) {
                            *o += kt * v;
                        }
                    }
                }
            },
        );
    // Columns: each output row is a weighted sum of whole input rows, which vectorises.
    Raster::from_rows(w, h, c, |y, out| {
        out.fill(0.0);
        for (t, &kt) in k.iter().enumerate() {
            let sy = (y + t).saturating_sub(r).min(h - 1);
            for (o, &v) in out.iter_mut().zip(tmp.row(sy)) {
                *o += kt * v;
            }
        }
    })
}

// The rounding helpers below exist because the portable x86-64 baseline (SSE2) has no
// floor/round instruction: `f32::floor`, `round` and `fract` become libm calls in per-pixel
// loops. Truncating conversions are single instructions. Valid for |x| < 2^31.

/// ⌊x⌋.
#[inline]
pub fn floor(x: f32) -> f32 {
    let t = (x as i32) as f32;
    if t > x { t - 1.0 } else { t }
}

/// x rounded to the nearest integer (halves up).
#[inline]
pub fn round(x: f32) -> f32 {
    floor(x + 0.5)
}

/// x − ⌊x⌋, in [0, 1).
#[inline]
pub fn fract(x: f32) -> f32 {
    x - floor(x)
}

/// `t^e` for t ≥ 0 as `2^(e·log2 t)` with polynomial log2 and exp2 (absolute error about
/// 2·10⁻⁴·e in the exponent): several times cheaper than `powf` in per-pixel tone curves.
#[inline]
pub fn fast_pow(t: f32, e: f32) -> f32 {
    if t <= 0.0 {
        return 0.0;
    }
    let bits = t.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000) - 1.0;
    let log2 = exponent as f32
        + (2.031_797_3e-4
            + m * (1.436_107_8 + m * (-0.669_542_3 + m * (0.312_241 - m * 0.079_158_16))));
    let y = (e * log2).max(-126.0);
    let whole = floor(y);
    let f = y - whole;
    let frac =
        1.000_007_3 + f * (0.692_931_6 + f * (0.241_709_6 + f * (0.051_667_2 + f * 0.013_676_6)));
    f32::from_bits(((whole as i32 + 127) as u32) << 23) * frac
}

#[inline]
pub fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    // A multiply by the reciprocal: with literal edges it folds to a constant.
    let t = ((x - e0) * (1.0 / (e1 - e0))).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_helpers_match_the_standard_ones() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.37;
            assert_eq!(floor(x), x.floor(), "floor {x}");
            assert_eq!(fract(x), x - x.floor(), "fract {x}");
            assert_eq!(round(x), (x + 0.5).floor(), "round {x}");
        }
    }

    #[test]
    fn fast_pow_stays_close_to_powf() {
        for i in 0..=200 {
            let t = i as f32 / 200.0;
            for e in [0.45f32, 1.0, 1.55, 2.4, 8.0] {
                let (a, b) = (fast_pow(t, e), t.powf(e));
                assert!((a - b).abs() < 2e-3, "{t}^{e}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn fast_tanh_stays_close_to_tanh() {
        for i in -400..=400 {
            let x = i as f32 / 50.0;
            assert!((fast_tanh(x) - x.tanh()).abs() < 0.03, "x = {x}");
        }
    }

    #[test]
    fn blur_keeps_a_constant_image_constant() {
        let mut r = Raster::new(40, 30, 1);
        r.data.fill(0.25);
        let b = gaussian_blur(&r, 2.5);
        assert!(b.data.iter().all(|v| (v - 0.25).abs() < 1e-5));
    }

    #[test]
    fn reducing_averages_blocks_and_rounds_the_size_up() {
        let img = RgbImage::from_fn(33, 21, |x, _| {
            image::Rgb([if x % 2 == 0 { 0 } else { 255 }; 3])
        });
        let small = reduce_pixels(&img, 1, 1, |px, out| out[0] = f32::from(px[0]));
        assert_eq!((small.w, small.h), (17, 11));
        assert!((small.data[0] - 127.5).abs() < 1e-3);
        // The last column holds a single full-size column (x = 32, even: black).
        assert!(small.data[16].abs() < 1e-3);
        let mut row = vec![0f32; 33];
        Upsampler::new(&small, 33, 21).row(0, &mut row);
        assert!((row[0] - 127.5).abs() < 1e-3 && row[32].abs() < 1e-3);
    }

    #[test]
    fn lightness_spans_zero_to_a_hundred() {
        let img = RgbImage::from_fn(2, 1, |x, _| image::Rgb([if x == 0 { 0 } else { 255 }; 3]));
        let lut = LightnessLut::new();
        assert!(lut.of(&img.as_raw()[0..3]).abs() < 0.01);
        assert!((lut.of(&img.as_raw()[3..6]) - 100.0).abs() < 0.05);
    }
}
