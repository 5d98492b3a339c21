//! The words of open answers worth counting.
//!
//! [`Keywords::of`] turns one open answer into its distinct keywords, in first-seen order and at
//! most [`MAX_PER_ANSWER`] of them; the report counts how many answers name each keyword.
//!
//! # How a text is split
//!
//! The text is cut into runs by script. A run of Han characters goes to the jieba segmenter
//! (`jieba-rs`, its embedded dictionary plus the business's own words, [`USER_WORDS`], so that
//! 响应速度 or 退换货 stay whole); every other run goes through Unicode word splitting (UAX #29,
//! `unicode-segmentation`). Mixed text such as `iPhone 15 屏幕坏了` therefore works: `iPhone`
//! and `15` take the Latin path, `屏幕坏了` the Chinese one.
//!
//! # What is kept
//!
//! - Chinese: the words jieba finds, less stop words ([`ZH_STOP_WORDS`]: particles, pronouns,
//!   hedges such as 觉得 or 非常), less single characters other than a short allow-list of
//!   complaint words ([`ZH_SINGLE_KEPT`]: 慢, 贵, 差 ...; 太慢 and 慢慢 count as 慢), less numbers (numerals alone or a
//!   numeral with a measure word: 三, 三天, 两个).
//! - Latin script: lowercased; stop words ([`EN_STOP_WORDS`]) and words shorter than three
//!   letters dropped; tokens without a letter (numbers, `15`, `3.5`) and ordinals or times
//!   (`3rd`, `10pm`) dropped.
//! - The business's words (built-in or added through [`Keywords::new`]) are always kept, as
//!   written (lowercased), unstemmed and whatever their length.
//!
//! # English stemming
//!
//! A small, conservative suffix stripper, applied to ASCII words only, so that keys stay readable
//! words ("battery", not Porter's "batteri") while the common inflections meet: "service" and
//! "services", "slow" and "slowly", "delay", "delays", "delayed" and "delaying" each give one
//! key. The rules, in order (a word in a small exception table is left as it is, or mapped):
//!
//! 1. Plural: `-sses` → `-ss`; `-ies` → `-y` (batteries → battery, replies → reply);
//!    `-xes`/`-ches`/`-shes`/`-zzes` lose `-es`; otherwise a final `-s` goes, unless the word ends
//!    in `-ss`, `-us` or `-is` or would keep fewer than three letters.
//! 2. Adverb (then stop): `-ically` → `-ic`; `-ably`/`-ibly` → `-able`/`-ible`; `-ully` → `-ul`;
//!    `-ily` → `-y` (easily → easy); otherwise `-ly` goes when at least four letters with a vowel
//!    remain (slowly → slow, quickly → quick).
//! 3. Verb: `-ied` → `-y`; `-ed` (not `-eed`) and `-ing` go when at least three letters with a
//!    vowel remain; then a doubled final consonant is undoubled (stopped → stop; not `l`, `s`,
//!    `z`, `f`, and not below three letters: added → add), a British `-ell` is undoubled
//!    (cancelled → cancel), and a silent `e` is restored where English words need one: after `v`,
//!    `c`, `u`, `z`, a single `s`, consonant + `at`, consonant + `l`, `ag`, `dg`, `rg`, `lg`,
//!    `ang`, `ar`, `ir` after `u`, `ur`, and after a three-letter consonant-vowel-consonant stem
//!    (improved → improve, priced → price, updated → update, handled → handle, hoped → hope).
//!
//! Where these rules guess wrong the result is a key that is not merged with its base form; it
//! is never a key that merges two unrelated words on purpose.
//!
//! # Keys
//!
//! A keyword never contains `:`, whitespace or control or format characters (it is stored as part
//! of an attribute name `w:<word>`) and has at most [`MAX_CHARS`] characters; longer tokens are
//! dropped.
//!
//! # Cost
//!
//! The embedded dictionary takes a while to load, so it is loaded once, on first use of
//! [`Keywords::standard`] (or of [`Keywords::new`] with Chinese extra words), never at start-up.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use unicode_segmentation::UnicodeSegmentation;

/// At most this many keywords are taken from one answer.
pub const MAX_PER_ANSWER: usize = 12;

/// A keyword has at most this many characters; a longer token is dropped.
pub const MAX_CHARS: usize = 32;

/// The business's own words, kept whole by the segmenter and never dropped as stop words.
pub const USER_WORDS: &[&str] = &[
    "售后",
    "客服",
    "退换货",
    "退货",
    "换货",
    "退款",
    "响应速度",
    "服务态度",
    "性价比",
    "物流",
    "快递",
    "发货",
    "安装",
    "维修",
    "质量问题",
    "电池",
    "屏幕",
    "发票",
    "包装",
    "配送",
    "客服电话",
    "续航",
    "充电",
];

/// Chinese words that say nothing about the experience, separated by whitespace.
pub const ZH_STOP_WORDS: &str = "\
    的 了 是 我 你 他 她 它 很 也 都 就 还 在 有 和 与 吧 吗 呢 啊 呀 哦 嗯 这 那 一个 没有 非常 比较 觉得 希望 可以 什么 因为 所以 但是 \
    不 没 我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这样 那样 怎么 怎么样 为什么 还是 就是 而且 或者 如果 虽然 然后 已经 一直 一下 一点 \
    一些 有点 有些 真的 感觉 其实 可能 应该 需要 知道 现在 时候 以后 之前 之后 还有 只是 只有 不过 并且 以及 对于 关于 太 再 又 才 被 把 给 让 \
    从 到 对 为 着 过 地 得 去 来 说 要 会 能 想 看 等 个 之 其 而 及 或 但 却 并 则 即 所 以 于 上 下 中 里 有人 大家 东西 问题 情况 \
    方面 特别 十分 挺 蛮 更 最 总是 还行 一般般 谢谢 您好 你好";

/// Single Chinese characters that are kept (they carry a complaint or praise on their own),
/// separated by whitespace. A degree adverb or a doubling around one counts as it: 太慢, 慢慢 → 慢.
pub const ZH_SINGLE_KEPT: &str = "\
    慢 快 贵 差 坏 脏 吵 烂 破 漏 卡 热 冷 假 错 乱 难 累 臭 旧 凶";

/// English stop words (articles, pronouns, auxiliaries, prepositions, conjunctions, fillers),
/// separated by whitespace.
pub const EN_STOP_WORDS: &str = "\
    a about above after again against all also am an and any are aren't as at be because \
    been before being below between both but by can can't cannot could couldn't did \
    didn't do does doesn't doing don't down during each even ever every few for from \
    further get got had hadn't has hasn't have haven't having he her here hers herself \
    him himself his how however i i'm i've i'd i'll if in into is isn't it it's its \
    itself just let like many me more most much must my myself no nor not now of off on \
    once one only or other our ours ourselves out over own please quite really same she \
    should shouldn't so some something still such than thank thanks that that's the \
    their theirs them themselves then there there's these they they're thing this those \
    through to too under until up us use very was wasn't we we're were weren't what when \
    where which while who whom why will with won't would wouldn't yes yet you you're \
    your yours yourself ok okay also anything everything nothing always never maybe \
    perhaps would've make made go going went come came take took say said know think \
    want need lot lots bit way etc via per though although since whether within without";

/// Words the stemmer leaves alone (base forms its rules would mangle).
const EN_KEEP: &[&str] = &[
    "news",
    "lens",
    "series",
    "species",
    "goods",
    "ios",
    "macos",
    "focus",
    "hundred",
    "naked",
    "wicked",
    "sacred",
    "hatred",
    "family",
    "supply",
    "comply",
    "multiply",
    "assembly",
    "anomaly",
    "butterfly",
    "monopoly",
    "italy",
    "july",
    "reply",
    "apply",
    "imply",
    "rely",
    "ally",
    "fly",
    "morning",
    "evening",
    "ceiling",
    "during",
    "pudding",
    "wedding",
    "sibling",
    "darling",
    "nothing",
    "something",
    "anything",
    "everything",
    "thing",
    "string",
    "spring",
    "bring",
    "wing",
    "king",
    "ring",
    "sing",
    "swing",
    "sting",
    "ping",
    "bus",
    "gas",
    "plus",
    "status",
    "bonus",
    "virus",
    "always",
    "perhaps",
];

/// Irregular forms the rules get wrong, mapped to their key.
const EN_MAP: &[(&str, &str)] = &[
    ("movies", "movie"),
    ("cookies", "cookie"),
    ("calories", "calorie"),
    ("headaches", "headache"),
    ("caches", "cache"),
    ("created", "create"),
    ("creating", "create"),
    ("used", "use"),
    ("using", "use"),
    ("paid", "pay"),
    ("broke", "broken"),
    ("children", "child"),
    ("people", "people"),
];

/// The shared segmenter: the embedded dictionary plus [`USER_WORDS`], loaded on first use.
fn standard_jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::new();
        for word in USER_WORDS {
            jieba.add_word(word, None, None);
        }
        jieba
    })
}

/// The segmenter a [`Keywords`] cuts Chinese with.
enum Segmenter {
    /// The shared one ([`standard_jieba`]).
    Standard(&'static Jieba),
    /// A copy of the shared one with extra words added: extra words never reach the shared one.
    Own(Box<Jieba>),
}

impl Segmenter {
    fn jieba(&self) -> &Jieba {
        match self {
            Segmenter::Standard(jieba) => jieba,
            Segmenter::Own(jieba) => jieba,
        }
    }
}

/// Finds the keywords of open answers. See the module documentation for the rules.
pub struct Keywords {
    segmenter: Segmenter,
    /// The business's words, lowercased: always kept, never stemmed.
    user_words: HashSet<String>,
    /// Chinese and English stop words, English ones lowercased (and their stems).
    stop_words: HashSet<String>,
}

impl std::fmt::Debug for Keywords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keywords")
            .field("user_words", &self.user_words.len())
            .field("stop_words", &self.stop_words.len())
            .finish_non_exhaustive()
    }
}

impl Keywords {
    /// The built-in dictionary and stop words only.
    pub fn standard() -> &'static Keywords {
        static STANDARD: OnceLock<Keywords> = OnceLock::new();
        STANDARD.get_or_init(|| Keywords::build(&[], &[]))
    }

    /// The built-in dictionary and stop words plus `extra_words` (kept whole and always counted)
    /// and `extra_stop_words` (never counted). An extra word that is empty, contains whitespace,
    /// `:` or a control character, is longer than [`MAX_CHARS`], or mixes Han characters with
    /// others is ignored. When there are Chinese extra words, they are added to a copy of the
    /// shared segmenter (a few tens of milliseconds; meant for once per report run).
    pub fn new(extra_words: &[String], extra_stop_words: &[String]) -> Keywords {
        Keywords::build(extra_words, extra_stop_words)
    }

    fn build(extra_words: &[String], extra_stop_words: &[String]) -> Keywords {
        let extra: Vec<String> = extra_words
            .iter()
            .map(|word| word.trim().to_lowercase())
            .filter(|word| is_valid_key(word) && (is_all_han(word) || !word.chars().any(is_han)))
            .collect();
        let han_extra: Vec<&String> = extra.iter().filter(|word| is_all_han(word)).collect();
        let segmenter = if han_extra.is_empty() {
            Segmenter::Standard(standard_jieba())
        } else {
            let mut jieba = standard_jieba().clone();
            for word in han_extra {
                jieba.add_word(word, None, None);
            }
            Segmenter::Own(Box::new(jieba))
        };

        let mut user_words: HashSet<String> = USER_WORDS.iter().map(|w| w.to_string()).collect();
        user_words.extend(extra);

        let mut stop_words: HashSet<String> = ZH_STOP_WORDS
            .split_whitespace()
            .chain(EN_STOP_WORDS.split_whitespace())
            .map(str::to_string)
            .collect();
        for word in extra_stop_words {
            let word = word.trim().to_lowercase();
            if word.is_empty() {
                continue;
            }
            if word.is_ascii() && word.chars().all(|c| c.is_ascii_alphabetic()) {
                stop_words.insert(stem(&word));
            }
            stop_words.insert(word);
        }
        // A stop word wins over a user word of the same spelling.
        user_words.retain(|word| !stop_words.contains(word));

        Keywords {
            segmenter,
            user_words,
            stop_words,
        }
    }

    /// The distinct keywords of one open answer, in first-seen order, at most MAX_PER_ANSWER.
    pub fn of(&self, text: &str) -> Vec<String> {
        let mut found = Found::default();
        for (han, run) in script_runs(text) {
            if han {
                for token in self.segmenter.jieba().cut(run, false) {
                    if let Some(key) = self.chinese_key(token.word) {
                        if found.add(key) {
                            return found.keys;
                        }
                    }
                }
            } else {
                for word in run.unicode_words() {
                    for part in word.split(is_word_joiner) {
                        if let Some(key) = self.latin_key(part) {
                            if found.add(key) {
                                return found.keys;
                            }
                        }
                    }
                }
            }
        }
        found.keys
    }

    fn chinese_key(&self, token: &str) -> Option<String> {
        let token = token.trim();
        if token.is_empty() || !is_valid_key(token) {
            return None;
        }
        if self.user_words.contains(token) {
            return Some(token.to_string());
        }
        if self.stop_words.contains(token) || is_chinese_number(token) {
            return None;
        }
        let token = single_of_pair(token).unwrap_or(token);
        if token.chars().count() == 1 && !is_single_kept(token) {
            return None;
        }
        Some(token.to_string())
    }

    fn latin_key(&self, word: &str) -> Option<String> {
        let lower = word.replace('\u{2019}', "'").to_lowercase();
        if !lower.chars().any(char::is_alphabetic) {
            return None;
        }
        if self.user_words.contains(&lower) {
            return is_valid_key(&lower).then_some(lower);
        }
        if self.stop_words.contains(&lower) {
            return None;
        }
        let lower = lower
            .strip_suffix("'s")
            .unwrap_or(&lower)
            .trim_matches(|c| c == '\'' || c == '.' || c == '_');
        if lower.chars().count() < 3 || is_ordinal_or_time(lower) {
            return None;
        }
        let key = if lower.chars().all(|c| c.is_ascii_lowercase()) {
            stem(lower)
        } else {
            lower.to_string()
        };
        if self.stop_words.contains(&key) || self.stop_words.contains(lower) {
            return None;
        }
        (is_valid_key(&key) && !self.stop_words.contains(&key)).then_some(key)
    }
}

/// The keywords found so far in one answer.
#[derive(Default)]
struct Found {
    keys: Vec<String>,
    seen: HashSet<String>,
}

impl Found {
    /// Adds `key` unless seen already; whether the answer is full.
    fn add(&mut self, key: String) -> bool {
        if !self.seen.contains(&key) {
            self.seen.insert(key.clone());
            self.keys.push(key);
        }
        self.keys.len() >= MAX_PER_ANSWER
    }
}

/// Whether `key` may be stored as a keyword: non-empty, at most [`MAX_CHARS`] characters, no `:`,
/// whitespace, control or format characters.
fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().count() <= MAX_CHARS
        && !key
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control() || is_format(c))
}

/// Invisible format characters (zero-width spaces and joiners, bidi marks, soft hyphen, BOM).
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Characters UAX #29 lets into the middle of a word (`a:b`, `l·l`, `a.b`, `don't`) that are split
/// on here, so a keyword never holds a colon or a dot-like joiner other than `.` and `'`.
fn is_word_joiner(c: char) -> bool {
    matches!(
        c,
        ':' | '\u{00B7}'
            | '\u{0387}'
            | '\u{05F4}'
            | '\u{2027}'
            | '\u{FE13}'
            | '\u{FE55}'
            | '\u{FF1A}'
    ) || is_format(c)
}

/// Han ideographs (CJK unified ideographs and their extensions, compatibility ideographs, 〇).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '\u{30000}'..='\u{323AF}')
}

fn is_all_han(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_han)
}

/// `text` cut into maximal runs of Han characters (`true`) and of everything else (`false`).
fn script_runs(text: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let han = is_han(first);
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_han(c) != han)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some((han, run))
    })
}

const ZH_NUMERALS: &str = "〇零一二三四五六七八九十百千万亿两几半第";
const ZH_MEASURES: &[&str] = &[
    "天", "个", "次", "年", "月", "周", "号", "日", "点", "块", "元", "台", "件", "遍", "位", "家",
    "种", "分", "秒", "星期", "礼拜", "小时", "分钟", "个月", "毛", "斤", "米", "倍", "楼",
];

/// Degree adverbs that jieba's dictionary glues to a single adjective (太慢, 很贵, 好差).
const ZH_DEGREE: &str = "太很好真挺超蛮较更最巨贼忒";

fn is_single_kept(token: &str) -> bool {
    ZH_SINGLE_KEPT.split_whitespace().any(|kept| kept == token)
}

/// The kept single character of a two-character token that is a degree adverb plus it (太慢 → 慢)
/// or it twice (慢慢 → 慢), so that these count with the plain adjective.
fn single_of_pair(token: &str) -> Option<&str> {
    let mut chars = token.char_indices();
    let (_, first) = chars.next()?;
    let (at, second) = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let single = &token[at..];
    ((first == second || ZH_DEGREE.contains(first)) && is_single_kept(single)).then_some(single)
}

/// A numeral alone or a numeral followed by a measure word: 三, 十五, 三天, 两个, 第一, 一个月.
fn is_chinese_number(token: &str) -> bool {
    let rest = token.trim_start_matches(|c| ZH_NUMERALS.contains(c));
    rest.len() < token.len() && (rest.is_empty() || ZH_MEASURES.contains(&rest))
}

/// `3rd`, `15th`, `10pm`, `90s`: digits followed by an ordinal, time or decade suffix.
fn is_ordinal_or_time(word: &str) -> bool {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.len() < word.len() && matches!(rest, "st" | "nd" | "rd" | "th" | "am" | "pm" | "s")
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn has_vowel(s: &str) -> bool {
    s.bytes().any(|c| is_vowel(c) || c == b'y')
}

/// The key of a lowercase ASCII word; the rules are in the module documentation.
fn stem(word: &str) -> String {
    if let Some(&(_, key)) = EN_MAP.iter().find(|(form, _)| *form == word) {
        return key.to_string();
    }
    if EN_KEEP.contains(&word) {
        return word.to_string();
    }
    let word = plural(word);
    if EN_KEEP.contains(&word.as_str()) {
        return word;
    }
    if word.ends_with("ly") {
        return adverb(&word).unwrap_or(word);
    }
    verb(&word).unwrap_or(word)
}

fn plural(word: &str) -> String {
    let n = word.len();
    if !word.ends_with('s') || word.ends_with("ss") || word.ends_with("us") || word.ends_with("is")
    {
        return word.to_string();
    }
    if word.ends_with("sses") {
        return word[..n - 2].to_string();
    }
    if n >= 5 && word.ends_with("ies") {
        return format!("{}y", &word[..n - 3]);
    }
    if ["xes", "ches", "shes", "zzes"]
        .iter()
        .any(|suffix| word.ends_with(suffix))
    {
        return word[..n - 2].to_string();
    }
    if n > 3 {
        return word[..n - 1].to_string();
    }
    word.to_string()
}

fn adverb(word: &str) -> Option<String> {
    let n = word.len();
    if let Some(stem) = word.strip_suffix("ically").filter(|s| s.len() >= 3) {
        return Some(format!("{stem}ic"));
    }
    if word.ends_with("ably") || word.ends_with("ibly") {
        return (n >= 7).then(|| format!("{}le", &word[..n - 2]));
    }
    if let Some(stem) = word.strip_suffix("ully").filter(|s| s.len() >= 3) {
        return Some(format!("{stem}ul"));
    }
    if let Some(stem) = word.strip_suffix("ily").filter(|s| s.len() >= 3) {
        return Some(format!("{stem}y"));
    }
    let stem = &word[..n - 2];
    (stem.len() >= 4 && has_vowel(stem)).then(|| stem.to_string())
}

fn verb(word: &str) -> Option<String> {
    let n = word.len();
    if n >= 5 && word.ends_with("ied") {
        return Some(format!("{}y", &word[..n - 3]));
    }
    let stem = if word.ends_with("ed") && !word.ends_with("eed") {
        &word[..n - 2]
    } else if word.ends_with("ing") {
        &word[..n - 3]
    } else {
        return None;
    };
    if stem.len() < 3 || !has_vowel(stem) {
        return None;
    }
    let b = stem.as_bytes();
    let m = b.len();
    let (last, before) = (b[m - 1], b[m - 2]);
    // A doubled final consonant: stopped, shipping; not added, called, missed, stuffed.
    if last == before && !is_vowel(last) && !matches!(last, b'l' | b's' | b'z' | b'f') {
        return Some(if m > 3 { &stem[..m - 1] } else { stem }.to_string());
    }
    // British doubled l: cancelled, travelled, labelled (not spelled, smelled).
    if m >= 6 && stem.ends_with("ell") {
        return Some(stem[..m - 1].to_string());
    }
    let consonant = |c: u8| !is_vowel(c) && c != b'y';
    let silent_e = matches!(last, b'v' | b'c' | b'u' | b'z')
        || (last == b's' && before != b's')
        || (stem.ends_with("at") && m >= 3 && consonant(b[m - 3]))
        || (last == b'l' && consonant(before) && !matches!(before, b'l' | b'r' | b'w'))
        || stem.ends_with("ag")
        || stem.ends_with("dg")
        || stem.ends_with("rg")
        || stem.ends_with("lg")
        || (stem.ends_with("ang") && m >= 5)
        || (stem.ends_with("ar") && m >= 3 && consonant(b[m - 3]))
        || stem.ends_with("uir")
        || stem.ends_with("ur")
        || (m == 3
            && consonant(b[0])
            && (is_vowel(b[1]) || b[1] == b'y')
            && consonant(last)
            && !matches!(last, b'w' | b'x'));
    Some(if silent_e {
        format!("{stem}e")
    } else {
        stem.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(text: &str) -> Vec<String> {
        Keywords::standard().of(text)
    }

    #[test]
    fn chinese_keeps_the_business_words_whole_and_drops_stop_words() {
        let keys = of("客服的响应速度太慢了，等了三天才有人回复");
        assert!(keys.contains(&"客服".to_string()), "{keys:?}");
        assert!(keys.contains(&"响应速度".to_string()), "{keys:?}");
        assert!(keys.contains(&"慢".to_string()), "{keys:?}");
        assert!(keys.contains(&"回复".to_string()), "{keys:?}");
        for dropped in ["的", "了", "响应", "速度", "三天", "有人", "太", "等"] {
            assert!(
                !keys.contains(&dropped.to_string()),
                "{dropped} in {keys:?}"
            );
        }
        // Words the embedded dictionary does not know, kept whole only by the user dictionary.
        let keys = of("质量问题太多，客服电话打不通");
        assert!(keys.contains(&"质量问题".to_string()), "{keys:?}");
        assert!(keys.contains(&"客服电话".to_string()), "{keys:?}");
    }

    #[test]
    fn english_is_lowercased_stemmed_and_counted_once() {
        let keys = of(
            "The delivery was delayed, delays everywhere. Service slowly improving; services ok",
        );
        assert_eq!(
            keys,
            [
                "delivery",
                "delay",
                "everywhere",
                "service",
                "slow",
                "improve"
            ],
        );
    }

    #[test]
    fn the_stemmer_meets_the_common_inflections() {
        let same = [
            ("delay", &["delays", "delayed", "delaying"][..]),
            ("battery", &["batteries"]),
            ("reply", &["replies", "replied", "replying"]),
            ("slow", &["slowly"]),
            ("service", &["services", "serviced"]),
            ("improve", &["improved", "improving", "improves"]),
            ("stop", &["stopped", "stopping", "stops"]),
            ("price", &["prices", "priced", "pricing"]),
            ("update", &["updates", "updated", "updating"]),
            ("charge", &["charges", "charged", "charging"]),
            ("cancel", &["cancelled", "canceled", "cancels"]),
            ("box", &["boxes"]),
            ("address", &["addresses"]),
            ("wait", &["waited", "waiting", "waits"]),
            ("set", &["sets", "setting", "settings"]),
            ("easy", &["easily"]),
        ];
        for (key, forms) in same {
            assert_eq!(stem(key), key, "{key}");
            for form in forms {
                assert_eq!(stem(form), key, "{form}");
            }
        }
        for kept in [
            "status", "glass", "news", "analysis", "family", "supply", "speed",
        ] {
            assert_eq!(stem(kept), kept);
        }
    }

    #[test]
    fn mixed_text_goes_by_script_and_drops_numbers() {
        let keys = of("iPhone 15 屏幕坏了 screen broken");
        assert_eq!(keys, ["iphone", "屏幕", "坏", "screen", "broken"]);
        assert!(of("第3次了 2024年 十五天 3rd 10pm 3.5 1,000").is_empty());
    }

    #[test]
    fn extra_words_stay_whole_and_extra_stop_words_go() {
        let standard = of("小程序闪退，装修师傅不错 ux");
        assert!(
            !standard.contains(&"小程序闪退".to_string()),
            "{standard:?}"
        );
        assert!(standard.contains(&"师傅".to_string()), "{standard:?}");

        let words = ["小程序闪退".to_string(), "UX".to_string()];
        let stops = ["师傅".to_string(), "Deliveries".to_string()];
        let custom = Keywords::new(&words, &stops);
        let keys = custom.of("小程序闪退，装修师傅不错 ux, delivery late");
        assert!(keys.contains(&"小程序闪退".to_string()), "{keys:?}");
        assert!(keys.contains(&"ux".to_string()), "{keys:?}");
        assert!(!keys.contains(&"师傅".to_string()), "{keys:?}");
        assert!(!keys.contains(&"delivery".to_string()), "{keys:?}");
        assert!(keys.contains(&"late".to_string()), "{keys:?}");

        // The extra words went into a copy: the shared segmenter does not know them.
        assert_eq!(of("小程序闪退，装修师傅不错 ux"), standard);
        assert!(!standard_jieba().has_word("小程序闪退"));
    }

    #[test]
    fn nothing_from_empty_blank_or_punctuation() {
        for text in [
            "",
            "   \n\t ",
            "。，！？…… ,.;:!?-—()（）【】",
            "的了吗呢",
            "the and of a",
        ] {
            assert!(of(text).is_empty(), "{text:?} gave {:?}", of(text));
        }
    }

    #[test]
    fn an_answer_gives_each_keyword_once_and_at_most_the_cap() {
        assert_eq!(of("慢慢慢，慢！太慢了 很慢 慢"), ["慢"]);
        let long: String = (0..1_000)
            .map(|i| format!("word{i} 物流{i}质量问题 "))
            .collect::<String>()
            .chars()
            .take(10_000)
            .collect();
        assert_eq!(long.chars().count(), 10_000);
        let keys = of(&long);
        assert_eq!(keys.len(), MAX_PER_ANSWER);
        let mut distinct = keys.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len());
    }

    #[test]
    fn long_tokens_and_colons_are_not_keys() {
        let long = "a".repeat(MAX_CHARS + 1);
        assert!(of(&long).is_empty());
        assert_eq!(of(&"b".repeat(MAX_CHARS)), ["b".repeat(MAX_CHARS)]);
        assert_eq!(of("status:broken w:word"), ["status", "broken", "word"]);
    }

    proptest! {
        #[test]
        fn keys_are_storable(text in any::<String>()) {
            let keys = of(&text);
            prop_assert!(keys.len() <= MAX_PER_ANSWER);
            for key in &keys {
                prop_assert!(!key.is_empty());
                prop_assert!(key.chars().count() <= MAX_CHARS, "{key:?}");
                prop_assert!(
                    !key.chars().any(|c| c == ':' || c.is_whitespace() || c.is_control()),
                    "{key:?}"
                );
            }
        }

        #[test]
        fn keys_of_mixed_text_are_storable(
            text in "[a-zA-Z0-9 :：.,'’\u{4e00}-\u{4e80}\u{200b}\u{3000}\t\n客服响应速度慢的了]{0,80}"
        ) {
            for key in of(&text) {
                prop_assert!(is_valid_key(&key), "{key:?}");
                prop_assert!(key.chars().count() <= MAX_CHARS);
            }
        }
    }
}
