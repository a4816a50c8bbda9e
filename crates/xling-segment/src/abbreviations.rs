//! Abbreviations that end in a full stop without ending a sentence, per language (ISO 639-3).
//!
//! Written for xling from common usage (titles, units, Latin phrases, months, street and company
//! abbreviations); lower-case, without the final dot. Tokens with inner dots (`e.g.`, `z.B.`) and single
//! letters are handled by rule and need no entry.

/// Abbreviations used across languages written in Latin script.
const COMMON: &[&str] = &[
    "etc", "vs", "cf", "ca", "approx", "nr", "vol", "vols", "pp", "fig", "figs", "eds", "st", "jr",
    "sr", "dr", "prof", "mr", "mrs", "ms", "mme", "mlle", "inc", "ltd", "corp", "dept", "univ",
    "tel", "cit", "ibid",
];

const ENG: &[&str] = &[
    "mt", "ft", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "rev", "hon", "pres",
    "messrs", "jan", "feb", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "tue", "thu", "fri",
    "ave", "blvd", "dist", "govt", "assn", "bros", "esp", "viz", "incl", "lbs", "oz", "yrs", "hrs",
    "mins",
];

const DEU: &[&str] = &[
    "hr", "fr", "frl", "bzw", "usw", "ggf", "vgl", "evtl", "inkl", "exkl", "zzgl", "abs", "abschn",
    "bd", "bspw", "ca", "geb", "gest", "jh", "jhd", "mio", "mrd", "nr", "str", "tel", "zb", "dgl",
    "sog", "urspr", "verh", "vorm", "nachm", "jan", "feb", "febr", "mär", "apr", "aug", "sept",
    "okt", "nov", "dez", "stv", "dipl", "ing",
];

const FRA: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mgr", "pr", "dr", "st", "ste", "av", "bd",
    "env", "janv", "févr", "avr", "juil", "sept", "oct", "nov", "déc", "cie", "éd", "p", "vol",
    "chap", "hab",
];

const SPA: &[&str] = &[
    "sr", "sra", "srta", "sres", "ud", "uds", "dña", "d", "lic", "ing", "arq", "pág", "págs",
    "núm", "tel", "av", "avda", "c", "ene", "feb", "abr", "ago", "sept", "oct", "nov", "dic",
    "aprox", "admón", "atte", "cía", "dpto",
];

const POR: &[&str] = &[
    "sr", "sra", "srta", "dr", "dra", "eng", "prof", "profa", "av", "pág", "págs", "núm", "jan",
    "fev", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez", "ltda", "cia", "aprox",
];

const ITA: &[&str] = &[
    "sig", "sigg", "dott", "ing", "avv", "prof", "geom", "arch", "pag", "pagg", "tel", "ecc",
    "gen", "feb", "apr", "giu", "lug", "ago", "ott", "nov", "dic",
];

const NLD: &[&str] = &[
    "dhr", "mevr", "mw", "ir", "drs", "mr", "ing", "bijv", "evt", "enz", "nl", "vnl", "blz", "jl",
];

const CES: &[&str] = &[
    "atd", "apod", "tzv", "tj", "např", "resp", "mj", "př", "kč", "ing", "mgr", "bc", "doc",
    "judr", "mudr", "phdr", "rndr", "tel", "čís", "sv", "r", "st", "str", "ul",
];

const POL: &[&str] = &[
    "np", "tzw", "tj", "wg", "ok", "godz", "gen", "inż", "mgr", "hab", "ks", "pl", "ul", "al",
    "tel", "proc", "tys", "mln", "mld", "zł", "r", "w", "woj", "pow", "gm", "im",
];

const RUS: &[&str] = &[
    "т", "е", "д", "др", "пр", "г", "гг", "в", "вв", "ул", "им", "тыс", "млн", "млрд", "руб",
    "коп", "см", "стр", "проф", "акад", "доц", "ген", "св", "м", "ст", "обл", "р", "пос", "т.е",
    "т.д", "т.п", "т.к", "т.н", "и.о",
];

const UKR: &[&str] = &[
    "т", "д", "ін", "р", "рр", "ст", "вул", "м", "обл", "тис", "млн", "млрд", "грн", "див", "проф",
];

const FIN: &[&str] = &[
    "esim", "ks", "mm", "jne", "yms", "nk", "ns", "n", "klo", "ma", "ti", "ke", "to", "pe", "la",
    "su", "tms", "vrt", "eaa", "jaa", "ym", "puh", "prof", "tri", "s",
];

const SWE: &[&str] = &[
    "bl", "dvs", "el", "enl", "fr", "osv", "mfl", "m", "t", "ex", "kl", "ca", "jfr", "resp", "s",
    "tel", "st",
];

const ISL: &[&str] = &[
    "t", "o", "m", "fl", "sbr", "þ", "e", "kl", "nr", "bls", "skv", "u", "þ.e", "o.s.frv",
];

const TUR: &[&str] = &[
    "dr", "prof", "doç", "yrd", "av", "sn", "vb", "vs", "bkz", "örn", "alb", "yb", "cad", "sok",
    "mah", "no", "tel",
];

const IND: &[&str] = &[
    "dr", "drs", "ir", "prof", "no", "hlm", "dsb", "dll", "tsb", "jl", "kec", "kab", "sdr", "yth",
    "a.n",
];

const HIN: &[&str] = &["डॉ", "श्री", "श्रीमती", "प्रो", "सं", "पृ"];

const ELL: &[&str] = &["κ", "κα", "π.χ", "δηλ", "σελ", "αρ", "τηλ", "οδ"];

/// The abbreviations for a language: the common list plus the language's own.
pub fn for_language(iso639_3: Option<&str>) -> impl Iterator<Item = &'static str> {
    let own: &[&str] = match iso639_3 {
        Some("eng") => ENG,
        Some("deu" | "gsw" | "ltz") => DEU,
        Some("fra") => FRA,
        Some("spa" | "cat" | "glg") => SPA,
        Some("por") => POR,
        Some("ita") => ITA,
        Some("nld" | "afr") => NLD,
        Some("ces" | "slk") => CES,
        Some("pol") => POL,
        Some("rus" | "bel") => RUS,
        Some("ukr") => UKR,
        Some("fin") => FIN,
        Some("swe" | "dan" | "nob" | "nno") => SWE,
        Some("isl") => ISL,
        Some("tur") => TUR,
        Some("ind" | "zsm") => IND,
        Some("hin" | "mar") => HIN,
        Some("ell") => ELL,
        _ => &[],
    };
    COMMON.iter().chain(own.iter()).copied()
}
