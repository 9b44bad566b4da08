// Builds tests/tokenizer/corpus.json: varied strings with reference token counts and id hashes
// from the `tiktoken` npm package (the Rust core as WASM), which tst_tokenizer checks against.
// Deterministic (fixed seed), so a regeneration only changes the file when the corpus or
// tiktoken changes. Usage (tiktoken installed outside the repo):
//   mkdir -p /tmp/tk && (cd /tmp/tk && npm install tiktoken)
//   NODE_PATH=/tmp/tk/node_modules node tests/tokenizer/generate-corpus.mjs
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { get_encoding } = require(process.env.TIKTOKEN_MODULE ?? 'tiktoken');

// mulberry32: small, seedable, the same everywhere.
let seed = 0x70C0FFEE;
function rnd() {
    seed = (seed + 0x6D2B79F5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const repeat = (n, f) => Array.from({ length: n }, f).join('');

const words = ('the quick brown fox jumps over lazy dog token counting gateway budget request '
    + 'model provider response stream latency Hello World I\'m you\'re they\'ve we\'ll she\'d '
    + 'it\'s DON\'T CAN\'T naïve café résumé Straße ñandú Übermensch déjà-vu coöperate '
    + 'internationalization antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis '
    + 'HTTPServer getHTTPResponseCode camelCaseWord snake_case_word SCREAMING_CASE kebab-case '
    + 'iPhone McDonald O\'Neil ʼapostrophe ſtate ǅemal Ǳ ᾈ').split(' ');
const cjk = ['你好世界', '東京都', '日本語のテキスト', 'こんにちは', 'カタカナ', '한국어 문장', '漢字', '中文分词测试', '〇一二三'];
const rtl = ['مرحبا بالعالم', 'السلام عليكم', 'שלום עולם', 'עברית', 'كِتَابٌ', 'בְּרֵאשִׁית', 'ایران', '١٢٣٤٥'];
const emoji = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🇯🇵', '🇺🇸🇬🇧', '❤️', '🧑🏿‍💻', '🤷‍♀️', '#️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '☕', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𝟘𝟙𝟚'];
const combining = ['e\u0301', 'a\u0308\u0304', 'n\u0303', 'Z\u0351\u0352\u0353\u0354', 'क्षि', 'ที่', 'ñ', '\u0301\u0301x', '각'];
const spaces = [' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2003', '\u0085', '\u2028', '\u000b', '\u000c', '\u200b', '\ufeff'];
const punct = ['.', ',', '!', '?', ';', ':', '...', '—', '–', '-', '(', ')', '[', ']', '{', '}', '"', '\'', '`', '/', '\\', '@', '#', '$', '%', '^', '&', '*', '+', '=', '<', '>', '|', '~', '«', '»', '„', '“', '”', '¿', '¡', '…', '·'];
const specials = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>', '<|im_start|>', '<|im_end|>', '<|endoftext', 'endoftext|>'];
const code = [
    'function add(a, b) {\n  return a + b;\n}\n',
    'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
    '#include <iostream>\nint main() {\n\tstd::cout << "hi" << std::endl;\n\treturn 0;\n}\n',
    'SELECT id, name FROM users WHERE age >= 21 ORDER BY name DESC LIMIT 10;',
    'fn main() { let v: Vec<u32> = (0..10).map(|x| x * x).collect(); println!("{:?}", v); }',
    'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello")\n}\n',
    '<div class="box"><a href="/x?y=1&z=2">link</a></div>',
    'const x = arr?.filter((v) => v !== null) ?? [];\n// TODO: fix\n',
    '    if (x) {\n        y++;\n    }\n',
    '$ ls -la | grep "\\.cpp$" && echo done\n',
    'public static void Main(string[] args) => Console.WriteLine($"{args.Length}");',
    '#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do wc -l "$f"; done\n',
];
const urls = ['https://example.com/path/to/page?query=1&lang=en#frag', 'http://localhost:8080/v1/chat/completions',
    'mailto:someone@example.org', 'ftp://files.example.net/pub/README.md', 'https://ja.wikipedia.org/wiki/東京',
    'www.test-site.co.uk/a/b/c.html', 'C:\\Users\\me\\Documents\\file.txt', '/usr/local/lib/libfoo.so.1.2.3'];

function number() {
    const len = 1 + int(25);
    let s = repeat(len, () => String(int(10)));
    const r = rnd();
    if (r < 0.15) s = s + '.' + repeat(1 + int(6), () => String(int(10)));
    else if (r < 0.25) s = '-' + s;
    else if (r < 0.3) s = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    else if (r < 0.35) s = '0x' + repeat(1 + int(12), () => pick('0123456789abcdefABCDEF'));
    else if (r < 0.4) s = s + 'e' + (rnd() < 0.5 ? '-' : '') + int(300);
    return s;
}
function json() {
    const obj = {};
    for (let i = 0, n = 1 + int(5); i < n; ++i)
        obj[pick(words)] = pick([number(), pick(words), rnd() < 0.5, null, [int(100), pick(cjk)], { k: pick(emoji) }]);
    return JSON.stringify(obj, null, rnd() < 0.5 ? 2 : undefined);
}
const astral = [0x10000, 0x10300, 0x13000, 0x1D400, 0x1D500, 0x1D600, 0x1D700, 0x1F300, 0x1F400,
    0x1F500, 0x1F600, 0x20000, 0x21000, 0x25000, 0x29000, 0x2F800];
const atoms = [
    () => pick(words), () => pick(words), () => pick(words), () => pick(cjk), () => pick(rtl),
    () => pick(emoji), () => pick(combining), () => pick(spaces), () => pick(punct), () => number(),
    () => pick(specials), () => pick(urls), () => String.fromCodePoint(0x20 + int(0x2fe0)),
    // Astral characters from long-assigned blocks only: code points assigned after Unicode 14
    // (Debian's PCRE2 10.42) are letters to tiktoken but unassigned to QRegularExpression.
    () => String.fromCodePoint(pick(astral) + int(0x100)),
];

const texts = [];
const seen = new Set();
function add(s) {
    if (!seen.has(s)) {
        seen.add(s);
        texts.push(s);
    }
}
// Hand-picked edge cases first.
['', ' ', '  ', '\n', '\n\n\n', ' \n', '\t\t', 'hello world', 'Hello, world!', ' hello', 'hello ',
    '<|endoftext|>', 'a<|endoftext|>b', '<|endofprompt|> <|fim_prefix|>', "I'm don't you'LL WE'RE it'S",
    '1', '12', '123', '1234', '12345678901234567890', '१२३४', '٣٤٥٦', 'Ⅻ', '½¾', '\u0085', 'a\u0085b',
    'a  b', 'a   \n  b', 'ſs', 'ſ\'s', "x's", "'s", 'İstanbul', 'ǅ', 'ΣΑΣ σας', '\u00a0\u00a0x',
    // Lone surrogates: tiktoken's JS encode goes through UTF-8, where they become U+FFFD.
    'x\ud800y', '\udfff', '\ud83d\ude00\ud83d', 'a\ud800\ud800 b',
    // Whitespace by Unicode's White_Space property (Rust's \s), not by PCRE2's or Python's.
    '!\u180e?', 'x\u180e\n', '\u180e\u180e x', 'a\u001cb', '!\u001c\n', 'x\u0085\ny', '.\u0085 ',
    'a\u2028\u2029b', '?\u200b\n', '!\u00a0\u00a0x', '!\u3000\n',
    ...emoji, ...cjk, ...rtl, ...combining, ...code, ...urls, ...specials].forEach(add);
// Prose-like sentences mixing everything.
while (texts.length < 3600) {
    const n = 1 + int(rnd() < 0.8 ? 12 : 60);
    let s = '';
    for (let i = 0; i < n; ++i) {
        s += pick(atoms)();
        const r = rnd();
        s += r < 0.6 ? ' ' : r < 0.7 ? '' : r < 0.8 ? pick(punct) : pick(spaces);
    }
    add(s);
}
// Code snippets with varied indentation and line endings.
while (texts.length < 4200) {
    const eol = pick(['\n', '\r\n', '\n\n', '\r']);
    const indent = pick(['', '  ', '    ', '\t', '\t\t', '        ']);
    add(repeat(1 + int(4), () => pick(code)).split('\n').map((l) => (rnd() < 0.5 ? indent : '') + l).join(eol));
}
// JSON, numbers, whitespace runs, long words, mixed scripts.
while (texts.length < 4500) add(json());
while (texts.length < 4650) add(repeat(1 + int(8), () => number() + pick([' ', ',', '\n', '', '.'])));
while (texts.length < 4800) add(pick(words) + repeat(1 + int(6), () => pick(spaces).repeat(1 + int(40))) + pick(words) + pick(['', ' ', '\n', '  ']));
while (texts.length < 4900) add(repeat(1 + int(3), () => pick(words).repeat(1 + int(60))));
while (texts.length < 5000) add(repeat(2 + int(10), () => pick([...cjk, ...rtl, ...emoji, ...combining]) + (rnd() < 0.3 ? ' ' : '')));
while (texts.length < 5100) add(repeat(1 + int(6), () => pick(urls) + pick([' ', '\n', ', '])));
// A few long strings without spaces (the merge must stay fast on these).
add('a'.repeat(5000));
add('ab'.repeat(4000));
add(repeat(3000, () => pick('abcdefghijklmnopqrstuvwxyz')));
add('😀'.repeat(1000));
add('你'.repeat(3000));
add(' '.repeat(3000));
add('\n'.repeat(2000));
add('1'.repeat(2000));
add('.'.repeat(4000));

const encodings = ['o200k_base', 'cl100k_base'];
const enc = Object.fromEntries(encodings.map((e) => [e, get_encoding(e)]));
const hash = (ids) => createHash('sha256').update(Array.from(ids).join(',')).digest('hex').slice(0, 16);
const strings = texts.map((text) => {
    const entry = { text };
    for (const e of encodings) {
        const ids = enc[e].encode_ordinary(text);
        entry[e] = { count: ids.length, hash: hash(ids) };
    }
    return entry;
});

// Small examples with full ids, and chat conversations counted with OpenAI's formula
// (3 tokens per message, its string fields, +1 per name, +3 priming the reply).
const examples = ['hello world', 'Hello, world!', '<|endoftext|>', ' 12345', "I'm 你好 👍🏽"].map((text) => ({
    text,
    ...Object.fromEntries(encodings.map((e) => [e, Array.from(enc[e].encode_ordinary(text))])),
}));
const chats = [
    [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Hello!' }],
    [{ role: 'user', name: 'alice', content: 'What is 2 + 2?' }, { role: 'assistant', content: '4' },
        { role: 'user', content: 'Und auf Deutsch? 日本語でも。' }],
    [{ role: 'system', content: '' }, { role: 'user', content: [{ type: 'text', text: 'Describe this: ' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'text', text: 'in 3 words 🙂' }] }],
    [{ role: 'developer', content: 'Answer in JSON.' }, { role: 'user', name: 'bob_42', content: '{"q": "list primes < 20"}' }],
];
function chatTokens(e, messages) {
    let n = 3;
    for (const m of messages) {
        n += 3;
        for (const [k, v] of Object.entries(m)) {
            if (typeof v === 'string') n += enc[e].encode_ordinary(v).length;
            else if (Array.isArray(v))
                for (const p of v) if (p.type === 'text') n += enc[e].encode_ordinary(p.text).length;
            if (k === 'name') n += 1;
        }
    }
    return n;
}
const conversations = chats.map((messages) => ({
    messages,
    ...Object.fromEntries(encodings.map((e) => [e, chatTokens(e, messages)])),
}));

const out = join(dirname(fileURLToPath(import.meta.url)), 'corpus.json');
const version = require(join(dirname(require.resolve(process.env.TIKTOKEN_MODULE ?? 'tiktoken')), 'package.json')).version;
writeFileSync(out, JSON.stringify({ generator: 'tests/tokenizer/generate-corpus.mjs', tiktoken: version,
    examples, conversations, strings }, null, 0)
    // Escaped: Qt's JSON parser drops a U+FEFF that starts a string value (a "BOM").
    .replace(/\ufeff/g, '\\ufeff') + '\n');
console.log(`${strings.length} strings -> ${out}`);
