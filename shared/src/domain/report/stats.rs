//! The report formulas over exact running sums.
//!
//! Every function here is pure and works from the integer totals of [`super::sums`]: scores
//! there are in ten-thousandths ([`SCALE`]), and the results here are in score points (divided
//! by [`SCALE`]) or in percent. Where a figure cannot be computed (no answers, one answer where
//! a spread is needed, a spread of zero where a test divides by it) the function returns
//! `None` instead of a NaN or an infinity.
//!
//! The normal and Student's t distributions come from `statrs` (its `erfc` and regularized
//! incomplete beta function).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::sums::{Moments, NpsCounts, Paired, SCALE};

/// The 0.975 quantile of the standard normal distribution: a two-sided 95 % interval is
/// ±`Z_95` standard errors.
pub const Z_95: f64 = 1.959963984540054;

/// A cell with fewer answers is hidden (privacy and statistics).
pub const MIN_SHOWN: i64 = 5;

/// Below this many answers a figure is shown with a warning.
pub const MIN_RELIABLE: i64 = 30;

/// A two-sided test is significant when its p value is below this.
const ALPHA: f64 = 0.05;

const SCALE_F: f64 = SCALE as f64;

/// A figure with its 95 % interval and n.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub n: i64,
}

/// The standard normal distribution function Φ(z) = ½·erfc(−z/√2).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// Two-sided p value of a standard normal statistic: 2·(1 − Φ(|z|)) = erfc(|z|/√2), computed
/// through `erfc` so that small p values keep their precision.
fn normal_p_two_sided(z: f64) -> f64 {
    statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

fn students_t(df: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, df).ok()
}

/// Student's t distribution function with `df` degrees of freedom:
/// F(t) = 1 − ½·I(df/(df + t²); df/2, ½) for t > 0 and ½·I(…) for t ≤ 0, with I the
/// regularized incomplete beta function. NaN when `df` is not positive (or NaN).
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    match students_t(df) {
        Some(dist) => dist.cdf(t),
        None => f64::NAN,
    }
}

/// Two-sided p value of a t statistic with `df` degrees of freedom: 2·(1 − F(|t|)), computed
/// from the upper tail directly.
fn t_p_two_sided(t: f64, df: f64) -> f64 {
    match students_t(df) {
        Some(dist) => (2.0 * dist.sf(t.abs())).min(1.0),
        None => f64::NAN,
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (the multiplier of a
/// two-sided 95 % interval): the t with F(t) = 0.975, found by bisection on
/// [`student_t_cdf`]. It is at least [`Z_95`] and tends to it as `df` grows. NaN when `df` is
/// not positive (or NaN).
pub fn t_quantile_975(df: f64) -> f64 {
    let Some(dist) = students_t(df) else {
        return f64::NAN;
    };
    let target = 0.025;
    // Upper tail sf(t) falls as t grows; bracket the quantile first.
    let mut low = 0.0;
    let mut high = 2.0 * Z_95;
    while dist.sf(high) > target {
        low = high;
        high *= 2.0;
        if !high.is_finite() {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        if dist.sf(mid) > target {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// The mean in score points: Σx / n / [`SCALE`]. `None` for n ≤ 0.
pub fn mean(m: &Moments) -> Option<f64> {
    if m.n <= 0 {
        return None;
    }
    Some(m.sum as f64 / m.n as f64 / SCALE_F)
}

/// The sample variance in points²: (nΣx² − (Σx)²) / (n(n − 1)) / [`SCALE`]², with the
/// numerator computed exactly in `i128`. `None` for n < 2.
pub fn variance(m: &Moments) -> Option<f64> {
    if m.n < 2 {
        return None;
    }
    let n = i128::from(m.n);
    let num = n * i128::from(m.sum_sq) - i128::from(m.sum) * i128::from(m.sum);
    // Exact sums of real answers never give a negative numerator; clamp anyway.
    let num = num.max(0) as f64;
    Some(num / (m.n as f64 * (m.n - 1) as f64) / (SCALE_F * SCALE_F))
}

/// The mean with its 95 % interval: mean ± t(0.975, n − 1)·s/√n, with s the sample standard
/// deviation ([`variance`]). `None` for n < 2 (one answer has no interval). A spread of zero
/// gives low = high = value.
pub fn mean_estimate(m: &Moments) -> Option<Estimate> {
    let value = mean(m)?;
    let var = variance(m)?;
    let half = t_quantile_975((m.n - 1) as f64) * (var / m.n as f64).sqrt();
    Some(Estimate {
        value,
        low: value - half,
        high: value + half,
        n: m.n,
    })
}

/// CSAT in percent (0–100): the share of the outcome answers that are satisfied (top-2-box),
/// with the Wilson score interval at 95 %:
///
/// ```text
/// p̂ = s/n,  centre = (p̂ + z²/2n) / (1 + z²/n),
/// half = z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²),   z = Z_95
/// ```
///
/// `None` when `answered` ≤ 0 or `satisfied` is not within 0..=`answered`.
pub fn csat(satisfied: i64, answered: i64) -> Option<Estimate> {
    if answered <= 0 || !(0..=answered).contains(&satisfied) {
        return None;
    }
    let n = answered as f64;
    let p = satisfied as f64 / n;
    let z2 = Z_95 * Z_95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z_95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Estimate {
        value: 100.0 * p,
        low: (100.0 * (centre - half)).max(0.0),
        high: (100.0 * (centre + half)).min(100.0),
        n: answered,
    })
}

/// NPS shares p (promoters) and d (detractors) and n, or `None` for n ≤ 0 or a negative count.
fn nps_shares(c: &NpsCounts) -> Option<(f64, f64, i64)> {
    let n = c.n();
    if n <= 0 || c.promoters < 0 || c.passives < 0 || c.detractors < 0 {
        return None;
    }
    Some((
        c.promoters as f64 / n as f64,
        c.detractors as f64 / n as f64,
        n,
    ))
}

/// The standard error of the NPS, in NPS points: SE = 100·√((p + d − (p − d)²)/n), with p and
/// d the shares of promoters and detractors. `None` for n = 0.
pub fn nps_se(c: &NpsCounts) -> Option<f64> {
    let (p, d, n) = nps_shares(c)?;
    let var = (p + d - (p - d) * (p - d)).max(0.0);
    Some(100.0 * (var / n as f64).sqrt())
}

/// The Net Promoter Score, NPS = 100(p − d) with p and d the shares of promoters and
/// detractors, with the interval NPS ± Z_95·SE ([`nps_se`]) clamped to [−100, 100]. `None`
/// for n = 0.
pub fn nps(c: &NpsCounts) -> Option<Estimate> {
    let (p, d, n) = nps_shares(c)?;
    let value = 100.0 * (p - d);
    let half = Z_95 * nps_se(c)?;
    Some(Estimate {
        value,
        low: (value - half).max(-100.0),
        high: (value + half).min(100.0),
        n,
    })
}

/// Pearson's correlation of a score with the outcome, and its test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Correlation {
    pub r: f64,
    pub n: i64,
    /// The t statistic; ±infinity when |r| = 1 (serialized to JSON as `null`).
    pub t: f64,
    /// Two-sided p value.
    pub p: f64,
    pub significant: bool,
}

/// Pearson r from the running sums: r = (nΣxy − ΣxΣy)/√((nΣx² − (Σx)²)(nΣy² − (Σy)²)),
/// computed with i128 integer arithmetic for the numerator and both variance terms (exact),
/// then f64 (each variance term is taken to f64 before the product, which could overflow
/// i128).
/// t = r√((n−2)/(1−r²)), two-sided p from Student's t with n−2 df; significant when p < 0.05.
/// |r| = 1 gives t = ±infinity and p = 0.
/// None when n < 3 or either variance term is 0.
pub fn pearson(p: &Paired) -> Option<Correlation> {
    if p.n < 3 {
        return None;
    }
    let n = i128::from(p.n);
    let (sx, sy) = (i128::from(p.sx), i128::from(p.sy));
    let num = n * i128::from(p.sxy) - sx * sy;
    let vx = n * i128::from(p.sxx) - sx * sx;
    let vy = n * i128::from(p.syy) - sy * sy;
    if vx <= 0 || vy <= 0 {
        return None;
    }
    let r = (num as f64 / ((vx as f64).sqrt() * (vy as f64).sqrt())).clamp(-1.0, 1.0);
    let df = (p.n - 2) as f64;
    let one_minus_r2 = 1.0 - r * r;
    let (t, pv) = if one_minus_r2 <= 0.0 {
        (f64::INFINITY.copysign(r), 0.0)
    } else {
        let t = r * (df / one_minus_r2).sqrt();
        (t, t_p_two_sided(t, df))
    };
    Some(Correlation {
        r,
        n: p.n,
        t,
        p: pv,
        significant: pv < ALPHA,
    })
}

/// The satisfaction index over dimension means and weights: Σ wᵢ·meanᵢ / Σ wᵢ over the dimensions
/// that have answers, rescaled to 0–100 from a 1–5 scale: (index − 1)/4 × 100. None when none answered.
///
/// Dimensions whose weight is not a positive finite number are left out (a weight of zero adds
/// nothing anyway); `None` also when no answered dimension has a positive weight.
pub fn weighted_index(
    dimensions: &[(f64 /*weight*/, Option<f64> /*mean in points*/)],
) -> Option<f64> {
    let (mut sw, mut swm) = (0.0, 0.0);
    for &(w, m) in dimensions {
        if let Some(m) = m {
            if w.is_finite() && w > 0.0 && m.is_finite() {
                sw += w;
                swm += w * m;
            }
        }
    }
    if sw <= 0.0 {
        return None;
    }
    Some((swm / sw - 1.0) / 4.0 * 100.0)
}

/// Where a dimension falls in the importance–satisfaction matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Important and below the satisfaction threshold.
    FixNow,
    /// Important and at or above the satisfaction threshold.
    Keep,
    /// Not important and below the satisfaction threshold.
    LowPriority,
    /// Not important and at or above the satisfaction threshold.
    NiceToHave,
}

impl Quadrant {
    /// The quadrant's name, in Chinese when `zh`, else in English.
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Quadrant::FixNow, true) => "急需改进",
            (Quadrant::Keep, true) => "继续保持",
            (Quadrant::LowPriority, true) => "不占优先",
            (Quadrant::NiceToHave, true) => "锦上添花",
            (Quadrant::FixNow, false) => "Fix now",
            (Quadrant::Keep, false) => "Keep",
            (Quadrant::LowPriority, false) => "Low priority",
            (Quadrant::NiceToHave, false) => "Nice to have",
        }
    }
}

/// The lines that split the importance–satisfaction matrix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub importance: f64,
    pub satisfaction: f64,
}

/// Thresholds = the mean importance (r) and the mean satisfaction (dimension mean) of the points given;
/// a point is "important" when r >= importance threshold and "high" when mean >= satisfaction threshold.
/// `None` for no points.
pub fn quadrant_thresholds(points: &[(f64 /*r*/, f64 /*mean*/)]) -> Option<Thresholds> {
    if points.is_empty() {
        return None;
    }
    let k = points.len() as f64;
    Some(Thresholds {
        importance: points.iter().map(|p| p.0).sum::<f64>() / k,
        satisfaction: points.iter().map(|p| p.1).sum::<f64>() / k,
    })
}

/// The quadrant of a point (r, mean): important and low → [`Quadrant::FixNow`], important and
/// high → [`Quadrant::Keep`], not important and low → [`Quadrant::LowPriority`], not
/// important and high → [`Quadrant::NiceToHave`] (see [`quadrant_thresholds`]).
pub fn quadrant(point: (f64, f64), t: Thresholds) -> Quadrant {
    let important = point.0 >= t.importance;
    let high = point.1 >= t.satisfaction;
    match (important, high) {
        (true, false) => Quadrant::FixNow,
        (true, true) => Quadrant::Keep,
        (false, false) => Quadrant::LowPriority,
        (false, true) => Quadrant::NiceToHave,
    }
}

/// Privacy/statistics rule for one cell of a cross-analysis table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Hidden,
    Warn,
    Shown,
}

/// n < [`MIN_SHOWN`] → [`Cell::Hidden`], n < [`MIN_RELIABLE`] → [`Cell::Warn`], else
/// [`Cell::Shown`].
pub fn cell(n: i64) -> Cell {
    if n < MIN_SHOWN {
        Cell::Hidden
    } else if n < MIN_RELIABLE {
        Cell::Warn
    } else {
        Cell::Shown
    }
}

/// Before/after differences (after − before) with a 95 % interval and a two-sided test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    pub before: f64,
    pub after: f64,
    /// after − before.
    pub diff: f64,
    pub low: f64,
    pub high: f64,
    /// z or t.
    pub statistic: f64,
    /// Degrees of freedom of a t test; `None` for a z test.
    pub df: Option<f64>,
    /// Two-sided p value.
    pub p: f64,
    pub significant: bool,
    /// `"z"`, `"welch"` or `"two_proportions"`.
    pub test: &'static str,
}

/// NPS after − before, z = (NPS₂ − NPS₁)/√(SE₁² + SE₂²) with the SEs of [`nps_se`], interval
/// diff ± Z_95·√(SE₁² + SE₂²), two-sided p from the normal distribution; test `"z"`.
/// `None` when either side has no answers or both SEs are 0 (every answer in one bucket on
/// both sides: no spread to test against).
pub fn compare_nps(before: &NpsCounts, after: &NpsCounts) -> Option<Difference> {
    let (b, a) = (nps(before)?.value, nps(after)?.value);
    let (se1, se2) = (nps_se(before)?, nps_se(after)?);
    let se = (se1 * se1 + se2 * se2).sqrt();
    if se <= 0.0 {
        return None;
    }
    let diff = a - b;
    let z = diff / se;
    let p = normal_p_two_sided(z);
    Some(Difference {
        before: b,
        after: a,
        diff,
        low: diff - Z_95 * se,
        high: diff + Z_95 * se,
        statistic: z,
        df: None,
        p,
        significant: p < ALPHA,
        test: "z",
    })
}

/// Means after − before (in points), Welch's t test: with vᵢ = sᵢ²/nᵢ,
/// t = (x̄₂ − x̄₁)/√(v₁ + v₂), Welch–Satterthwaite df = (v₁ + v₂)²/(v₁²/(n₁−1) + v₂²/(n₂−1)),
/// interval diff ± t(0.975, df)·√(v₁ + v₂), two-sided p from Student's t with df; test
/// `"welch"`. `None` when either side has fewer than 2 answers or both variances are 0.
pub fn compare_means(before: &Moments, after: &Moments) -> Option<Difference> {
    let (b, a) = (mean(before)?, mean(after)?);
    let v1 = variance(before)? / before.n as f64;
    let v2 = variance(after)? / after.n as f64;
    let se2 = v1 + v2;
    if se2 <= 0.0 {
        return None;
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (v1 * v1 / (before.n - 1) as f64 + v2 * v2 / (after.n - 1) as f64);
    let diff = a - b;
    let t = diff / se;
    let p = t_p_two_sided(t, df);
    let half = t_quantile_975(df) * se;
    Some(Difference {
        before: b,
        after: a,
        diff,
        low: diff - half,
        high: diff + half,
        statistic: t,
        df: Some(df),
        p,
        significant: p < ALPHA,
        test: "welch",
    })
}

/// Proportions after − before, each given as (successes, n), values in percent. The p value
/// is the pooled two-proportion z test: p̄ = (s₁ + s₂)/(n₁ + n₂),
/// z = (p₂ − p₁)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)); the interval uses the unpooled SE:
/// diff ± Z_95·√(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂). Test `"two_proportions"`.
/// `None` when either n ≤ 0, successes are outside 0..=n, or the pooled SE is 0 (all
/// successes or all failures on both sides).
pub fn compare_proportions(before: (i64, i64), after: (i64, i64)) -> Option<Difference> {
    let (s1, n1) = before;
    let (s2, n2) = after;
    if n1 <= 0 || n2 <= 0 || !(0..=n1).contains(&s1) || !(0..=n2).contains(&s2) {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (s1 as f64 / n1f, s2 as f64 / n2f);
    let pooled = (s1 + s2) as f64 / (n1f + n2f);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se_pooled <= 0.0 {
        return None;
    }
    let z = (p2 - p1) / se_pooled;
    let p = normal_p_two_sided(z);
    let se = (p1 * (1.0 - p1) / n1f + p2 * (1.0 - p2) / n2f).sqrt();
    let diff = 100.0 * (p2 - p1);
    let half = 100.0 * Z_95 * se;
    Some(Difference {
        before: 100.0 * p1,
        after: 100.0 * p2,
        diff,
        low: diff - half,
        high: diff + half,
        statistic: z,
        df: None,
        p,
        significant: p < ALPHA,
        test: "two_proportions",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    fn moments(xs: &[i64]) -> Moments {
        let mut m = Moments::default();
        for &x in xs {
            m.merge(&Moments::of(x), 1);
        }
        m
    }

    fn paired(xs: &[(i64, i64)]) -> Paired {
        let mut p = Paired::default();
        for &(x, y) in xs {
            p.merge(&Paired::of(x, y), 1);
        }
        p
    }

    #[test]
    fn distributions_match_textbook_values() {
        close(normal_cdf(1.96), 0.975_002, 1e-6);
        close(normal_cdf(0.0), 0.5, 1e-15);
        close(normal_cdf(-1.0), 0.158_655_253_931_457, 1e-10);
        close(normal_cdf(Z_95), 0.975, 1e-10);
        close(student_t_cdf(2.0, 10.0), 0.963_306, 1e-6);
        close(student_t_cdf(-2.0, 10.0), 1.0 - 0.963_306, 1e-6);
        close(student_t_cdf(1.0, 1.0), 0.75, 1e-12);
        close(t_quantile_975(10.0), 2.228_139, 1e-6);
        close(t_quantile_975(1.0), 12.706_204_736, 1e-6);
        close(t_quantile_975(30.0), 2.042_272_456, 1e-6);
        close(t_quantile_975(1e6), 1.959_97, 1e-5);
        assert!(t_quantile_975(1e6) >= Z_95);
        assert!(student_t_cdf(1.0, 0.0).is_nan());
        assert!(t_quantile_975(0.0).is_nan());
    }

    #[test]
    fn mean_and_variance_in_points() {
        // 1, 2, 3, 4, 5: mean 3, sample variance 2.5
        let m = moments(&[10_000, 20_000, 30_000, 40_000, 50_000]);
        close(mean(&m).unwrap(), 3.0, 1e-12);
        close(variance(&m).unwrap(), 2.5, 1e-12);
        let e = mean_estimate(&m).unwrap();
        let half = t_quantile_975(4.0) * (2.5f64 / 5.0).sqrt();
        close(e.value, 3.0, 1e-12);
        close(e.low, 3.0 - half, 1e-9);
        close(e.high, 3.0 + half, 1e-9);
        assert_eq!(e.n, 5);
        // 2.776445 is t(0.975, 4)
        close(e.high - e.value, 2.776_445 * 0.5f64.sqrt(), 1e-5);

        assert_eq!(mean(&Moments::default()), None);
        assert_eq!(variance(&Moments::of(40_000)), None);
        assert_eq!(mean_estimate(&Moments::of(40_000)), None);
        let flat = mean_estimate(&moments(&[40_000; 3])).unwrap();
        assert_eq!((flat.low, flat.value, flat.high), (4.0, 4.0, 4.0));
    }

    #[test]
    fn nps_of_fifty_thirty_twenty() {
        let c = NpsCounts {
            promoters: 50,
            passives: 30,
            detractors: 20,
        };
        let e = nps(&c).unwrap();
        close(e.value, 30.0, 1e-12);
        let se = nps_se(&c).unwrap();
        close(se, 100.0 * ((0.5f64 + 0.2 - 0.09) / 100.0).sqrt(), 1e-12);
        close(se, 7.810_249_675_906_654, 1e-12);
        close(e.value - e.low, 15.31, 0.005);
        close(e.high - e.value, 15.31, 0.005);
        assert_eq!(e.n, 100);
        assert_eq!(nps(&NpsCounts::default()), None);
        assert_eq!(nps_se(&NpsCounts::default()), None);
        // The interval is clamped.
        let all = nps(&NpsCounts {
            promoters: 3,
            passives: 0,
            detractors: 1,
        })
        .unwrap();
        assert_eq!(all.high, 100.0);
        assert!(all.low > -100.0);
    }

    #[test]
    fn csat_is_wilson() {
        let e = csat(45, 50).unwrap();
        let (n, p, z) = (50.0f64, 0.9f64, Z_95);
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        close(e.value, 90.0, 1e-12);
        close(e.low, 100.0 * (centre - half), 1e-9);
        close(e.high, 100.0 * (centre + half), 1e-9);
        // Published Wilson interval for 45/50: 78.64 % – 95.65 %.
        close(e.low, 78.64, 0.01);
        close(e.high, 95.65, 0.01);
        assert_eq!(e.n, 50);
        assert_eq!(csat(0, 0), None);
        assert_eq!(csat(3, 2), None);
        let all = csat(10, 10).unwrap();
        assert_eq!(all.value, 100.0);
        assert!(all.low < 100.0 && all.high <= 100.0);
    }

    fn naive_pearson(xy: &[(i64, i64)]) -> f64 {
        let n = xy.len() as f64;
        let mx = xy.iter().map(|p| p.0 as f64).sum::<f64>() / n;
        let my = xy.iter().map(|p| p.1 as f64).sum::<f64>() / n;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for &(x, y) in xy {
            let (dx, dy) = (x as f64 - mx, y as f64 - my);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        sxy / (sxx * syy).sqrt()
    }

    proptest! {
        #[test]
        fn pearson_matches_two_pass(
            xy in prop::collection::vec((0i64..=100_000, 10_000i64..=50_000), 3..=500)
        ) {
            let first = xy[0];
            prop_assume!(xy.iter().any(|p| p.0 != first.0) && xy.iter().any(|p| p.1 != first.1));
            let c = pearson(&paired(&xy)).unwrap();
            let r = naive_pearson(&xy);
            prop_assert!((c.r - r).abs() <= 1e-9, "{} vs {}", c.r, r);
            prop_assert_eq!(c.n, xy.len() as i64);
            prop_assert!(c.p.is_finite() && (0.0..=1.0).contains(&c.p));
        }

        #[test]
        fn pearson_with_integer_ratings(
            xy in prop::collection::vec((1i64..=5, 1i64..=5), 3..=500)
        ) {
            let xy: Vec<(i64, i64)> = xy.iter().map(|&(x, y)| (x * SCALE, y * SCALE)).collect();
            let first = xy[0];
            prop_assume!(xy.iter().any(|p| p.0 != first.0) && xy.iter().any(|p| p.1 != first.1));
            let c = pearson(&paired(&xy)).unwrap();
            prop_assert!((c.r - naive_pearson(&xy)).abs() <= 1e-9);
        }
    }

    #[test]
    fn pearson_test_and_degenerate_cases() {
        // x = 1..=5, y = 2, 1, 4, 3, 5 (points): r = 0.8
        let xy: Vec<(i64, i64)> = [(1, 2), (2, 1), (3, 4), (4, 3), (5, 5)]
            .iter()
            .map(|&(x, y)| (x * SCALE, y * SCALE))
            .collect();
        let c = pearson(&paired(&xy)).unwrap();
        close(c.r, 0.8, 1e-12);
        let t = 0.8 * (3.0f64 / (1.0 - 0.64)).sqrt();
        close(c.t, t, 1e-12);
        close(c.p, 2.0 * (1.0 - student_t_cdf(t, 3.0)), 1e-12);
        // t = 2.3094 with 3 df: p = 0.104088 (closed form of the t distribution with 3 df)
        close(c.p, 0.104_088, 1e-6);
        assert!(!c.significant);

        // Constant x or y: no correlation.
        let flat: Vec<(i64, i64)> = (0..10).map(|i| (30_000, i * 1_000)).collect();
        assert_eq!(pearson(&paired(&flat)), None);
        let flat_y: Vec<(i64, i64)> = (0..10).map(|i| (i * 1_000, 30_000)).collect();
        assert_eq!(pearson(&paired(&flat_y)), None);
        assert_eq!(pearson(&paired(&xy[..2])), None);

        // A perfect line.
        let line: Vec<(i64, i64)> = (0..10).map(|i| (i * 1_000, 50_000 - i * 2_000)).collect();
        let c = pearson(&paired(&line)).unwrap();
        assert_eq!(c.r, -1.0);
        assert_eq!(c.t, f64::NEG_INFINITY);
        assert_eq!(c.p, 0.0);
        assert!(c.significant);
    }

    #[test]
    fn weighted_index_rescales() {
        let i = weighted_index(&[(2.0, Some(4.0)), (1.0, Some(1.0)), (5.0, None)]).unwrap();
        // (2·4 + 1·1)/3 = 3 → (3 − 1)/4 × 100 = 50
        close(i, 50.0, 1e-12);
        close(weighted_index(&[(1.0, Some(5.0))]).unwrap(), 100.0, 1e-12);
        close(weighted_index(&[(0.3, Some(1.0))]).unwrap(), 0.0, 1e-12);
        assert_eq!(weighted_index(&[(1.0, None)]), None);
        assert_eq!(weighted_index(&[]), None);
        assert_eq!(weighted_index(&[(0.0, Some(3.0))]), None);
    }

    #[test]
    fn quadrants() {
        let points = [(0.6, 3.0), (0.2, 4.5), (0.4, 4.0), (0.4, 3.7)];
        let t = quadrant_thresholds(&points).unwrap();
        close(t.importance, 0.4, 1e-12);
        close(t.satisfaction, 3.8, 1e-12);
        assert_eq!(quadrant((0.6, 3.0), t), Quadrant::FixNow);
        assert_eq!(quadrant((0.2, 4.5), t), Quadrant::NiceToHave);
        assert_eq!(quadrant((0.4, 4.0), t), Quadrant::Keep);
        assert_eq!(quadrant((0.1, 3.0), t), Quadrant::LowPriority);
        // On a threshold counts as important / high.
        assert_eq!(quadrant((t.importance, t.satisfaction), t), Quadrant::Keep);
        assert_eq!(quadrant_thresholds(&[]), None);
        assert_eq!(Quadrant::FixNow.label(true), "急需改进");
        assert_eq!(Quadrant::Keep.label(true), "继续保持");
        assert_eq!(Quadrant::LowPriority.label(true), "不占优先");
        assert_eq!(Quadrant::NiceToHave.label(true), "锦上添花");
        assert_eq!(Quadrant::FixNow.label(false), "Fix now");
        assert_eq!(Quadrant::NiceToHave.label(false), "Nice to have");
        assert_eq!(
            serde_json::to_string(&Quadrant::LowPriority).unwrap(),
            "\"low_priority\""
        );
    }

    #[test]
    fn cells() {
        assert_eq!(cell(0), Cell::Hidden);
        assert_eq!(cell(4), Cell::Hidden);
        assert_eq!(cell(5), Cell::Warn);
        assert_eq!(cell(29), Cell::Warn);
        assert_eq!(cell(30), Cell::Shown);
        assert_eq!(serde_json::to_string(&Cell::Warn).unwrap(), "\"warn\"");
    }

    #[test]
    fn welch_by_hand() {
        // before: 1, 2, 3, 4, 5 (mean 3, s² 2.5); after: 3, 4, 5, 5 (mean 4.25, s² 0.916667)
        let before = moments(&[10_000, 20_000, 30_000, 40_000, 50_000]);
        let after = moments(&[30_000, 40_000, 50_000, 50_000]);
        let d = compare_means(&before, &after).unwrap();
        let (v1, v2) = (2.5 / 5.0, (11.0 / 12.0) / 4.0);
        let se = f64::sqrt(v1 + v2);
        let t = 1.25 / se;
        let df = (v1 + v2) * (v1 + v2) / (v1 * v1 / 4.0 + v2 * v2 / 3.0);
        close(d.before, 3.0, 1e-12);
        close(d.after, 4.25, 1e-12);
        close(d.diff, 1.25, 1e-12);
        close(d.statistic, t, 1e-12);
        close(d.df.unwrap(), df, 1e-12);
        // By hand: t = 1.46385, df = 6.64557
        close(d.statistic, 1.463_85, 1e-5);
        close(d.df.unwrap(), 6.645_57, 1e-5);
        close(d.p, 2.0 * (1.0 - student_t_cdf(t, df)), 1e-12);
        let half = t_quantile_975(df) * se;
        close(d.low, 1.25 - half, 1e-9);
        close(d.high, 1.25 + half, 1e-9);
        assert!(!d.significant);
        assert_eq!(d.test, "welch");

        assert_eq!(compare_means(&Moments::of(10_000), &after), None);
        let flat = moments(&[30_000; 4]);
        assert_eq!(compare_means(&flat, &flat), None);
        // One side flat: df is the other side's n − 1.
        let d = compare_means(&flat, &after).unwrap();
        close(d.df.unwrap(), 3.0, 1e-12);
    }

    #[test]
    fn two_proportions_by_hand() {
        // 40/100 before, 60/100 after: pooled 0.5, SE 0.070711, z = 2.828427
        let d = compare_proportions((40, 100), (60, 100)).unwrap();
        close(d.before, 40.0, 1e-12);
        close(d.after, 60.0, 1e-12);
        close(d.diff, 20.0, 1e-12);
        close(d.statistic, 0.2 / (0.5f64 * 0.5 * 0.02).sqrt(), 1e-12);
        close(d.statistic, 2.828_427, 1e-6);
        close(d.p, 2.0 * (1.0 - normal_cdf(d.statistic)), 1e-12);
        close(d.p, 0.004_678, 1e-6);
        assert!(d.significant);
        let se = (0.4f64 * 0.6 / 100.0 + 0.6 * 0.4 / 100.0).sqrt();
        close(d.low, 20.0 - 100.0 * Z_95 * se, 1e-9);
        close(d.high, 20.0 + 100.0 * Z_95 * se, 1e-9);
        assert_eq!(d.df, None);
        assert_eq!(d.test, "two_proportions");

        assert_eq!(compare_proportions((0, 0), (1, 2)), None);
        assert_eq!(compare_proportions((3, 3), (5, 5)), None);
        assert_eq!(compare_proportions((4, 3), (1, 5)), None);
    }

    #[test]
    fn compare_nps_by_hand() {
        let before = NpsCounts {
            promoters: 50,
            passives: 30,
            detractors: 20,
        };
        let after = NpsCounts {
            promoters: 60,
            passives: 25,
            detractors: 15,
        };
        let d = compare_nps(&before, &after).unwrap();
        let se1 = 100.0 * ((0.5f64 + 0.2 - 0.09) / 100.0).sqrt();
        let se2 = 100.0 * ((0.6f64 + 0.15 - 0.2025) / 100.0).sqrt();
        let se = (se1 * se1 + se2 * se2).sqrt();
        close(d.before, 30.0, 1e-12);
        close(d.after, 45.0, 1e-12);
        close(d.diff, 15.0, 1e-12);
        close(d.statistic, 15.0 / se, 1e-12);
        // By hand: SE₁ = 7.81025, SE₂ = 7.39932, z = 1.39422
        close(d.statistic, 1.394_22, 1e-5);
        close(d.p, 2.0 * (1.0 - normal_cdf(d.statistic)), 1e-12);
        assert!(!d.significant);
        close(d.low, 15.0 - Z_95 * se, 1e-9);
        close(d.high, 15.0 + Z_95 * se, 1e-9);
        assert_eq!(d.test, "z");
        assert_eq!(d.df, None);

        assert_eq!(compare_nps(&NpsCounts::default(), &after), None);
        let all = NpsCounts {
            promoters: 5,
            passives: 0,
            detractors: 0,
        };
        assert_eq!(compare_nps(&all, &all), None);
    }
}
