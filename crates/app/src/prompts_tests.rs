//! The prompt filter's table: refused and allowed prompts in English, Japanese and Korean,
//! obfuscated spellings, and ordinary portrait prompts that must pass (the "Scunthorpe" set).

use super::*;

fn builtin() -> PromptFilter {
    PromptFilter::from_config(&PromptsConfig::default()).expect("the shipped list loads")
}

const REFUSED: &[&str] = &[
    // English, plain and obfuscated
    "a nude portrait",
    "NUDE woman on a beach",
    "portrait, naked",
    "n.u.d.e figure study",
    "n u d e figure study",
    "n-u-d-e",
    "nuuuude model",
    "s3x scene",
    "$ex",
    "p0rn star",
    "pornographic photo",
    "ｎｕｄｅ portrait", // full width
    "nüde portrait",     // accent
    "nu\u{200B}de",      // zero-width space
    "child porn",
    "childporn",
    "child-porn",
    "c h i l d p o r n",
    "hentai girl",
    "sexy lingerie",
    "NSFW art",
    "a gory beheading",
    "lolicon drawing",
    // Japanese
    "ヌードの女性",
    "ﾇｰﾄﾞ写真",    // half-width katakana
    "ぬーど",     // hiragana
    "ヌ・ー・ド", // punctuation between letters
    "全裸の肖像画",
    "エロい絵",
    "児童ポルノ",
    "セ ッ ク ス",
    // Korean
    "누드 사진",
    "누 드",
    "알몸 초상화",
    "섹스",
    "포르노 배우",
];

const ALLOWED: &[&str] = &[
    "classic portrait in oil",
    "assassin's creed cosplay",
    "a castle in Scunthorpe at dawn",
    "Essex countryside, Sussex coast, Middlesex",
    "cocktail bar at night",
    "a therapist in her office",
    "a nudge in the right direction",
    "sextant on a ship's deck",
    "Hello Kitty in a kimono",
    "watercolor of a cat",
    "1girl, smiling, 4k, best quality",
    "documentary photo of a shipyard",
    "barefoot child on a beach",
    "retro pin-up poster, fully clothed",
    "Matsuo Bashō reading a haiku",
    // Japanese
    "桜の下の女の子の肖像",
    "裸足の子ども",           // barefoot
    "カロリー控えめのケーキ", // contains ロリ inside カロリー
    "ミケランジェロ風の彫刻", // contains ジェロ (small ェ), not エロ
    "猫のイラスト",
    // Korean
    "벚꽃 아래 소녀의 초상화",
    "전성기의 가수", // contains 성기 inside 전성기 (heyday)
    "고양이 수채화",
];

#[test]
fn every_refused_prompt_in_the_table_is_refused() {
    let filter = builtin();
    let passed: Vec<&str> = REFUSED
        .iter()
        .copied()
        .filter(|p| filter.check(p) != Err(PromptError::Refused))
        .collect();
    assert!(passed.is_empty(), "should be refused: {passed:?}");
}

#[test]
fn ordinary_portrait_prompts_are_allowed() {
    let filter = builtin();
    let refused: Vec<&str> = ALLOWED
        .iter()
        .copied()
        .filter(|p| filter.check(p).is_err())
        .collect();
    assert!(refused.is_empty(), "should be allowed: {refused:?}");
}

#[test]
fn an_operator_term_works_like_the_shipped_ones() {
    let config = PromptsConfig {
        builtin_terms: false,
        forbidden_terms: vec!["dragon*".into(), "red panda".into(), "禁止語".into()],
        ..PromptsConfig::default()
    };
    let filter = PromptFilter::from_config(&config).expect("filter");

    assert_eq!(
        filter.check("Dragons over a lake"),
        Err(PromptError::Refused)
    );
    assert_eq!(filter.check("a r3d-panda"), Err(PromptError::Refused));
    assert_eq!(filter.check("a RED PANDA"), Err(PromptError::Refused));
    assert_eq!(filter.check("これは禁止語です"), Err(PromptError::Refused));
    // Without the shipped list, its terms pass.
    assert!(filter.check("nude").is_ok());
    assert!(filter.check("a red fox and a panda").is_ok());
}

#[test]
fn empty_and_overlong_prompts_are_refused_before_the_list() {
    let filter = PromptFilter::new(["x"], 10);

    assert_eq!(filter.check("   "), Err(PromptError::Empty));
    assert_eq!(
        filter.check("ねこねこねこねこねこね"),
        Err(PromptError::TooLong { max: 10 })
    );
    assert_eq!(
        filter.check("  ねこねこねこねこね  "),
        Ok("ねこねこねこねこね")
    );
}

#[test]
fn comments_and_blank_lines_of_a_terms_file_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("terms.txt");
    std::fs::write(&path, "# a comment\n\nbanana # trailing comment\n").expect("write");
    let config = PromptsConfig {
        builtin_terms: false,
        terms_file: Some(path),
        ..PromptsConfig::default()
    };
    let filter = PromptFilter::from_config(&config).expect("filter");

    assert_eq!(filter.check("b4n4n4 split"), Err(PromptError::Refused));
    assert!(filter.check("a comment").is_ok());
}
