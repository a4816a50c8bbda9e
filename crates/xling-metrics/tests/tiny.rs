//! The tiny fixtures of methods.md §4.6 (sacrebleu 2.6.0 output), as plain unit tests.

use xling_metrics::{Bleu, Chrf, Score, Smooth, Ter, Tokenizer};

const HYPS: [&str; 3] = [
    "The dog bit the man.",
    "It wasn't surprising.",
    "The man had just bitten him.",
];
const REF1: [&str; 3] = [
    "The dog bit the man.",
    "It was not unexpected.",
    "The man bit him first.",
];
const REF2: [&str; 3] = [
    "The dog had bitten the man.",
    "No one was surprised.",
    "The man had bitten the dog.",
];

fn refs2() -> Vec<Vec<&'static str>> {
    vec![REF1.to_vec(), REF2.to_vec()]
}

fn close(got: f64, want: f64) {
    let tol = 1e-12 * want.abs().max(1.0);
    assert!((got - want).abs() <= tol, "got {got:?}, want {want:?}");
}

#[test]
fn bleu_two_refs() {
    let r = refs2();
    let b = Bleu::default();
    let s = b.corpus_score(&HYPS, &r).expect("score");
    close(s.score, 48.530827009929865);
    assert_eq!(
        s.verbose(),
        "82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"
    );
    assert_eq!(
        b.signature(2).format(false),
        "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    );
    assert_eq!(
        b.signature(2).format(true),
        "#:2|c:mixed|e:no|tok:13a|s:exp|v:2.6.0"
    );
    let cases: [(Bleu, f64, &str); 5] = [
        (
            Bleu {
                tokenize: Tokenizer::Intl,
                ..Bleu::default()
            },
            43.91623493336995,
            "73.7/43.8/38.5/30.0 (BP = 1.000 ratio = 1.056 hyp_len = 19 ref_len = 18)",
        ),
        (
            Bleu {
                tokenize: Tokenizer::Char,
                ..Bleu::default()
            },
            72.61064153440596,
            "91.4/76.4/67.3/59.2 (BP = 1.000 ratio = 1.018 hyp_len = 58 ref_len = 57)",
        ),
        (
            Bleu {
                tokenize: Tokenizer::None,
                smooth_method: Smooth::Floor,
                ..Bleu::default()
            },
            49.19195660047277,
            "71.4/54.5/50.0/40.0 (BP = 0.931 ratio = 0.933 hyp_len = 14 ref_len = 15)",
        ),
        (
            Bleu {
                smooth_method: Smooth::AddK,
                ..Bleu::default()
            },
            52.70109002482467,
            "82.4/53.3/50.0/44.4 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)",
        ),
        (
            Bleu {
                lowercase: true,
                ..Bleu::default()
            },
            48.530827009929865,
            "82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)",
        ),
    ];
    for (b, want, verbose) in cases {
        let s = b.corpus_score(&HYPS, &r).expect("score");
        close(s.score, want);
        assert_eq!(s.verbose(), verbose);
    }
    let floor = Bleu {
        tokenize: Tokenizer::None,
        smooth_method: Smooth::Floor,
        ..Bleu::default()
    };
    assert_eq!(
        floor.signature(2).format(false),
        "nrefs:2|case:mixed|eff:no|tok:none|smooth:floor[0.10]|version:2.6.0"
    );
    let addk = Bleu {
        smooth_method: Smooth::AddK,
        ..Bleu::default()
    };
    assert_eq!(
        addk.signature(2).format(true),
        "#:2|c:mixed|e:no|tok:13a|s:add-k[1.00]|v:2.6.0"
    );
}

#[test]
fn chrf_and_ter_two_refs() {
    let r = refs2();
    let cases: [(Chrf, f64, &str, &str); 4] = [
        (
            Chrf::default(),
            59.72751782684763,
            "chrF2",
            "nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
        ),
        (
            Chrf::plus_plus(),
            59.15310444399262,
            "chrF2++",
            "nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0",
        ),
        (
            Chrf {
                eps_smoothing: true,
                ..Chrf::default()
            },
            59.72734693786311,
            "chrF2",
            "nrefs:2|case:mixed|eff:no|nc:6|nw:0|space:no|version:2.6.0",
        ),
        (
            Chrf {
                whitespace: true,
                ..Chrf::default()
            },
            65.8764867358276,
            "chrF2",
            "nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:yes|version:2.6.0",
        ),
    ];
    for (c, want, name, sig) in cases {
        let s = c.corpus_score(&HYPS, &r).expect("score");
        close(s.score, want);
        assert_eq!(s.name, name);
        assert_eq!(c.signature(2).format(false), sig);
    }
    assert_eq!(
        Chrf::default().signature(2).format(true),
        "#:2|c:mixed|e:yes|nc:6|nw:0|s:no|v:2.6.0"
    );
    let ter_cases: [(Ter, f64, &str); 4] = [
        (
            Ter::default(),
            40.0,
            "#:2|c:lc|t:tercom|nr:no|pn:yes|as:no|v:2.6.0",
        ),
        (
            Ter {
                normalized: true,
                ..Ter::default()
            },
            33.33333333333333,
            "#:2|c:lc|t:tercom|nr:yes|pn:yes|as:no|v:2.6.0",
        ),
        (
            Ter {
                case_sensitive: true,
                ..Ter::default()
            },
            40.0,
            "#:2|c:mixed|t:tercom|nr:no|pn:yes|as:no|v:2.6.0",
        ),
        (
            Ter {
                no_punct: true,
                ..Ter::default()
            },
            40.0,
            "#:2|c:lc|t:tercom|nr:no|pn:no|as:no|v:2.6.0",
        ),
    ];
    for (t, want, short) in ter_cases {
        close(t.corpus_score(&HYPS, &r).expect("score").score, want);
        assert_eq!(t.signature(2).format(true), short);
    }
    assert_eq!(
        Ter::default().signature(2).format(false),
        "nrefs:2|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"
    );
}

#[test]
fn single_reference() {
    let r = vec![REF1.to_vec()];
    close(
        Bleu::default().corpus_score(&HYPS, &r).expect("s").score,
        45.06750632106114,
    );
    close(
        Chrf::default().corpus_score(&HYPS, &r).expect("s").score,
        50.043063606582294,
    );
    close(
        Chrf::plus_plus().corpus_score(&HYPS, &r).expect("s").score,
        51.7309698503746,
    );
    close(
        Ter::default().corpus_score(&HYPS, &r).expect("s").score,
        50.0,
    );
}

#[test]
fn sentence_level() {
    let eff = Bleu {
        effective_order: true,
        ..Bleu::default()
    };
    let want = [
        (100.00000000000004, 100.0, 100.0, 0.0),
        (
            14.794015674776452,
            35.34635301425291,
            29.14513880802484,
            75.0,
        ),
        (
            29.071536848410968,
            51.87740799504779,
            52.00714394858371,
            54.54545454545454,
        ),
    ];
    for (i, (b, c, cpp, t)) in want.into_iter().enumerate() {
        let refs = [REF1[i], REF2[i]];
        close(eff.sentence_score(HYPS[i], &refs).score, b);
        close(Bleu::default().sentence_score(HYPS[i], &refs).score, b);
        close(Chrf::default().sentence_score(HYPS[i], &refs).score, c);
        close(Chrf::plus_plus().sentence_score(HYPS[i], &refs).score, cpp);
        close(Ter::default().sentence_score(HYPS[i], &refs).score, t);
    }
    close(
        eff.sentence_score("a b", &["a b c"]).score,
        60.653065971263366,
    );
    close(Bleu::default().sentence_score("a b", &["a b c"]).score, 0.0);
}

#[test]
fn edge_cases() {
    let cases: [(&str, &str, f64, f64, f64); 5] = [
        ("", "x y", 0.0, 0.0, 100.0),
        ("x y", "", 0.0, 0.0, 100.0),
        ("", "", 0.0, 0.0, 0.0),
        ("a", "a", 0.0, 100.0, 0.0),
        ("a b c", "a b c", 0.0, 100.0, 0.0),
    ];
    for (h, r, b, c, t) in cases {
        let refs = vec![vec![r]];
        let hyps = [h];
        close(
            Bleu::default().corpus_score(&hyps, &refs).expect("s").score,
            b,
        );
        close(
            Chrf::default().corpus_score(&hyps, &refs).expect("s").score,
            c,
        );
        close(
            Chrf::plus_plus()
                .corpus_score(&hyps, &refs)
                .expect("s")
                .score,
            c,
        );
        close(
            Ter::default().corpus_score(&hyps, &refs).expect("s").score,
            t,
        );
    }
    let s = Chrf::default();
    close(s.sentence_score("ab cd", &["abcd"]).score, 100.0);
    let ws = Chrf {
        whitespace: true,
        ..Chrf::default()
    };
    close(
        ws.sentence_score("ab cd", &["abcd"]).score,
        39.44174757281553,
    );
}

#[test]
fn bootstrap_confidence_like_sacrebleu() {
    use xling_metrics::bootstrap::{DEFAULT_SEED, bleu_confidence, chrf_confidence};
    let r = refs2();
    let b = Bleu::default();
    let st = b.corpus_stats(&HYPS, &r).expect("stats");
    let mut s = b.compute(&xling_metrics::bleu::sum_stats(&st)).to_score();
    let c = bleu_confidence(&b, &st, 1000, DEFAULT_SEED);
    s.confidence = Some((c.mean, c.ci));
    let sig = b.signature(2).with_bootstrap(1000, "12345").format(false);
    assert_eq!(
        sig,
        "nrefs:2|bs:1000|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    );
    assert_eq!(
        s.format(2, false, "", false),
        "BLEU = 48.53 (μ = 46.96 ± 46.75) 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"
    );
    let ch = Chrf::default();
    let st = ch.corpus_stats(&HYPS, &r).expect("stats");
    let mut s = Score::new(ch.name(), ch.f_score(&ch.sum_stats(&st)));
    let c = chrf_confidence(&ch, &st, 1000, DEFAULT_SEED);
    s.confidence = Some((c.mean, c.ci));
    assert_eq!(
        s.format(2, false, "", false),
        "chrF2 = 59.73 (μ = 60.35 ± 32.33)"
    );
}
