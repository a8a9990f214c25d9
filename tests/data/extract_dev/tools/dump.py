import sys, gzip, re
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[4]))
from selectolax.lexbor import LexborHTMLParser
from engine.html.decode import decode_html
html = gzip.decompress(open(sys.argv[1],'rb').read())
t = LexborHTMLParser(decode_html(html)[0])
for n in t.css('script,style,noscript,template'): n.decompose()
_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|td|th|tr|pre|blockquote|figcaption|dd|dt|section|article|header|footer|nav|ul|ol|table)>|<br\s*/?>", re.I)
html2 = _BLOCK_END.sub(lambda m: m.group(0) + "\n", t.html)
b = LexborHTMLParser(html2).body
lines = [" ".join(l.split()) for l in (b.text(separator="") if b else "").split("\n")]
lines = [l for l in lines if l]
for i,l in enumerate(lines): print(i, l)
