//! Arbitrary input never panics: random code points from every plane (controls, marks, surrogate-free
//! private use, unassigned), in every format and both tokenization modes.

use xling_romanize::{Format, Romanizer, TokenCache};

#[test]
fn random_code_points_do_not_panic() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let blocks: &[(u32, u32)] = &[
        (0x0, 0x7F),
        (0x80, 0x2FF),
        (0x300, 0x36F),
        (0x370, 0x1FFF),
        (0x2000, 0x2BFF),
        (0x2800, 0x28FF),
        (0x3000, 0x30FF),
        (0x3400, 0x9FFF),
        (0xAC00, 0xD7A3),
        (0xE000, 0xF8FF),
        (0xF900, 0xFFFF),
        (0x10000, 0x1FFFF),
        (0x20000, 0x10FFFF),
    ];
    let r_cli = Romanizer::new();
    let r_api = Romanizer::whole_string();
    let mut cache = TokenCache::new(1024);
    for _ in 0..1500 {
        let len = 1 + (next() % 12) as usize;
        let s: String = (0..len)
            .filter_map(|_| {
                let (a, b) = blocks[(next() % blocks.len() as u64) as usize];
                char::from_u32(a + (next() % u64::from(b - a + 1)) as u32)
            })
            .collect();
        let _ = r_api.romanize(&s, None);
        let _ = r_cli.romanize(&s, Some("jpn"));
        for f in [Format::Str, Format::Edges, Format::Alts, Format::Lattice] {
            let _ = r_cli.romanize_line(&s, Some("hin"), f, &mut cache);
        }
    }
}

#[test]
fn tricky_sequences_do_not_panic() {
    // Characters uroman treats specially, including those on which uroman-py itself raises.
    let alphabet: Vec<char> = "分之百分之又负負〇零一二三四五六七八九十百千万億兩点半፻፼፲፩⠼⠁⠃⠠⠲⠂⠀っッーゃょャ\u{0A71}ਕ੍\u{094D}क\u{093C}ि\u{0F60}\u{0FB0}ཀ\u{0F7C}་\u{0E2D}\u{0E40}\u{0E4C}\u{0E48}ก\u{17D2}ក\u{102F}\u{1039}က\u{0300}\u{2C80}½¼①².,; 0123456789"
        .chars()
        .collect();
    let mut x: u64 = 42;
    let r = Romanizer::new();
    let w = Romanizer::whole_string();
    let mut cache = TokenCache::new(0);
    for _ in 0..3000 {
        let len = 1 + (x % 9) as usize;
        let mut s = String::new();
        for _ in 0..len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.push(alphabet[((x >> 33) % alphabet.len() as u64) as usize]);
        }
        let _ = w.romanize(&s, Some("zho"));
        for f in [Format::Str, Format::Lattice] {
            let _ = r.romanize_line(&s, None, f, &mut cache);
        }
    }
}
