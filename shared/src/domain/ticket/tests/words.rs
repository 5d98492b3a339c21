use super::super::words::{check_list, list, Haystack};
use crate::error::Error;

fn text(s: &str) -> Haystack {
    Haystack::new(&[s.to_string()])
}

#[test]
fn chinese_words_match_inside_sentences() {
    let t = text("收到的商品有划痕，我要退款！");
    assert!(t.contains("退款"));
    assert!(t.contains("划痕"));
    assert!(!t.contains("投诉"));
}

#[test]
fn english_words_match_whole_words_ignoring_case() {
    let t = text("This is a known ISSUE. The agent was RUDE to me.");
    assert!(t.contains("rude"));
    assert!(t.contains("Issue"));
    assert!(!t.contains("sue"), "sue is not in issue");
    assert!(text("I will sue you.").contains("sue"));
    assert!(!text("a fireplace").contains("fire"));
    assert!(text("it caught fire!").contains("fire"));
}

#[test]
fn a_star_matches_any_ending() {
    assert!(text("I was refunded only half").contains("refund*"));
    assert!(text("Refunds take ages").contains("refund*"));
    assert!(!text("prefunded").contains("refund*"));
    assert!(!text("I was refunded").contains("refund"));
}

#[test]
fn phrases_match_across_white_space_and_line_breaks() {
    let t = text("I will never\n   again buy here");
    assert!(t.contains("never again"));
    assert!(t.contains("  NEVER AGAIN "));
}

#[test]
fn numbers_match_as_words_even_next_to_chinese() {
    assert!(text("我要打12315投诉你们").contains("12315"));
    assert!(!text("订单号 123156").contains("12315"));
}

#[test]
fn texts_do_not_run_together() {
    let t = Haystack::new(&["service was slo".to_string(), "w and bad".to_string()]);
    assert!(!t.contains("slow"));
}

#[test]
fn found_keeps_list_order_once_each() {
    let t = text("太慢了，真的太慢，还要退款");
    let words = list(&["退款", "太慢", "投诉", "退款"]);
    assert_eq!(t.found(&words), vec!["退款", "太慢"]);
}

#[test]
fn lists_are_checked() {
    let refused = |words: &[&str]| match check_list("complaint_words", &list(words)) {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{words:?}: {other:?}"),
    };
    assert_eq!(refused(&["投诉", " "]), "complaint_words[1]");
    assert_eq!(refused(&["*"]), "complaint_words[0]");
    assert_eq!(refused(&["re*fund"]), "complaint_words[0]");
    assert_eq!(refused(&["Rude", "rude"]), "complaint_words[1]");
    assert_eq!(refused(&[&"长".repeat(65)]), "complaint_words[0]");
    assert!(check_list("x", &list(&["refund*", "never again", "态度差"])).is_ok());
}
