"""Articles (Chinese and Japanese news, split bodies, how-tos with lists and tables), docs, product and listing
pages, modelled on common portal, CMS and shop markup. Content written by hand; `expected` is what a reader calls
the page's content: the article's paragraphs, lists and tables (not its headline, byline, captions, share bars,
related links, comments boxes or page chrome); a docs page's text and code; a product's description and specs;
a listing's item titles and summaries."""
from html import escape as e
from common import page, nav, links, p

PAGES = {}

def zh_portal():
    paras = ["本报讯（记者 王晓东）记者从市交通运输局获悉，地铁十四号线东段将于本月二十八日开通初期运营，全线设站十二座，其中换乘站四座。",
             "据介绍，十四号线东段西起东风北桥站，东至善各庄站，线路全长十六点三公里，全部为地下线。开通后，东部地区居民进城时间将缩短约二十分钟。",
             "运营初期，工作日早高峰最小行车间隔为四分钟，首班车时间为早五点三十分，末班车时间为晚十一点。",
             "市交通运输局有关负责人表示 开通初期客流将逐步增长 运营单位将根据客流变化及时调整运力 确保乘客出行安全顺畅",
             "此外，沿线公交线路也将同步优化调整，新开和调整公交线路九条，方便乘客换乘。"]
    side = ["热点新闻", "国内", "国际", "财经", "体育", "娱乐", "科技", "汽车", "房产", "教育"]
    hot = ["全市中小学下周起实行错峰放学", "气象台发布今年首个高温黄色预警", "新版城市总体规划草案公示", "三条公交快线月底开通", "本市新增两处城市公园"]
    body = ['<div class="top-bar"><div class="w1000"><span class="date">2021年6月18日 星期五</span>' + links([("", "网站首页"), ("m", "手机版"), ("epaper", "数字报"), ("rss", "RSS订阅")], "top-links") + '</div></div>',
            '<div class="header w1000"><a href="/" class="logo"><img src="/images/logo.png" alt="城市日报网"></a><div class="search"><form action="/search"><input name="kw" type="text"><button>搜索</button></form></div></div>',
            '<div class="main-nav">' + nav(side, "nav-list clearfix") + '</div>',
            '<div class="w1000 clearfix"><div class="crumbs"><a href="/">首页</a> &gt; <a href="/bj/">本地新闻</a> &gt; 正文</div>',
            '<div class="left-col"><div class="article-box"><h1 class="art-title">地铁十四号线东段本月底开通</h1>'
            '<div class="art-info"><span class="time">2021-06-18 08:32</span><span class="source">来源：城市日报</span><span class="editor">责任编辑：李明</span>'
            '<div class="share-box"><span>分享到：</span><a href="#" class="weixin">微信</a><a href="#" class="weibo">微博</a><a href="#" class="qzone">QQ空间</a></div></div>',
            '<div class="art-content" id="artibody"><div class="img-wrap" style="text-align:center"><img src="/upload/2021/06/subway14.jpg" alt="地铁十四号线" width="600" height="400"><p class="img-desc">图为十四号线东段车站内景。记者 张伟 摄</p></div>' +
            "".join(f'<p style="text-indent:2em">{e(t)}</p>' for t in paras) +
            '<div class="ad-inline"><a href="http://ad.example.cn/c?1"><img src="/ad/banner_620x90.gif" width="620" height="90" alt="广告"></a></div></div>'
            '<div class="art-footer"><span class="editor-name">（编辑：李明）</span><div class="tags">标签：<a href="/tag/地铁">地铁</a><a href="/tag/交通">交通</a></div></div></div>',
            '<div class="related-news"><h3 class="tit">相关新闻</h3>' + links([("n", t) for t in ["地铁十七号线北段进入试运行阶段", "本市轨道交通运营里程突破七百公里", "地铁票价调整方案征求意见"]], "list") + '</div>'
            '<div class="comment-box"><h3>网友评论</h3><p class="tip">已有0条评论，<a href="/login">登录</a>后发表评论</p><textarea></textarea><button>发表</button></div></div>',
            '<div class="right-col"><div class="box hot"><h3>热点排行</h3><ol>' + "".join(f'<li><em>{i+1}</em><a href="/news/{i}.html">{t}</a></li>' for i, t in enumerate(hot)) + '</ol></div>'
            '<div class="box pic"><h3>图片新闻</h3><a href="/pic/1.html"><img src="/pic/1.jpg" width="280" height="180" alt="夏日荷花盛开"><span>夏日荷花盛开</span></a></div></div></div>',
            '<div class="footer"><p>' + " | ".join(f'<a href="/{i}">{t}</a>' for i, t in enumerate(["关于我们", "联系我们", "广告服务", "版权声明", "网站地图"])) + '</p><p>城市日报社 版权所有 未经授权禁止复制或建立镜像</p><p>京ICP备05012345号 京公网安备11010502000001号</p></div>']
    return page("地铁十四号线东段本月底开通_城市日报网", "\n".join(body), "zh-CN"), paras

def ja_news_split():
    lead = "政府は１５日、来年度から全国の公立小学校で英語の授業時間を週３コマに増やす方針を固めた。"
    part1 = ["文部科学省によると、現在は５、６年生で週２コマとなっている英語の授業を、３年生以上で週３コマに拡大する。増加分は総合的な学習の時間を振り替えて確保する。",
             "背景には、中学校入学時点での英語力の差が広がっているとの指摘がある。全国学力調査では、英語の「話すこと」の正答率が低い水準にとどまっていた。"]
    part2 = ["一方、現場からは教員の負担増を懸念する声も上がる。都内の小学校に勤める教員は「英語の専門教育を受けていない教員が多く、準備に時間がかかる」と話す。",
             "文科省は外国語指導助手（ＡＬＴ）の配置を増やすほか、指導用の動画教材を無償で提供する方針だ。",
             "同省は今月中に中央教育審議会に諮問し、年内に最終的な方針をまとめる。"]
    body = ['<header class="l-header"><div class="l-header__inner"><a class="l-header__logo" href="/"><img src="/img/logo.svg" alt="日々新聞"></a>' + nav(["ニュース", "政治", "経済", "国際", "社会", "スポーツ", "エンタメ", "ライフ"], "l-header__nav") + '</div></header>',
            '<main class="l-main"><article class="article"><div class="article-header"><ul class="breadcrumb"><li><a href="/">トップ</a></li><li><a href="/society/">社会</a></li></ul>'
            '<h1 class="article-title">小学校の英語、週３コマに　来年度から拡大へ</h1><div class="article-meta"><time datetime="2023-09-15T19:30">2023年9月15日 19時30分</time><span class="article-author">教育部　山田花子</span></div>'
            '<div class="sns-share"><a class="sns-share__x" href="#">ポスト</a><a class="sns-share__fb" href="#">シェア</a><a class="sns-share__line" href="#">LINEで送る</a></div></div>',
            f'<div class="article-lead"><p>{e(lead)}</p></div>',
            '<figure class="article-figure"><img src="/photo/2023/0915/eng.jpg" width="640" height="427" alt="英語の授業"><figcaption>英語の授業を受ける児童＝東京都内で（資料写真）</figcaption></figure>',
            '<div class="article-body-text">' + "".join(p(t) for t in part1) + '</div>',
            '<div class="ad-container ad-rectangle"><div id="div-gpt-ad-1"><span class="ad-label">広告</span></div></div>',
            '<div class="read-also"><p class="read-also__title">あわせて読みたい</p>' + links([("a", "中学英語、教科書のページ数１．５倍に"), ("b", "ＡＬＴ不足、地方で深刻")], "read-also__list") + '</div>',
            '<div class="article-body-text article-body-text--cont">' + "".join(p(t) for t in part2) + '</div>',
            '<div class="article-footer"><div class="paywall-note">この記事は会員限定です。登録すると続きをお読みいただけます。</div><ul class="article-tags"><li><a href="/tag/edu">教育</a></li><li><a href="/tag/eng">英語</a></li></ul></div></article>',
            '<aside class="l-sidebar"><section class="ranking"><h2>アクセスランキング</h2><ol>' + "".join(f'<li><a href="/r/{i}">{t}</a></li>' for i, t in enumerate(["台風１３号、関東に接近　交通に影響", "円相場、一時１４８円台", "新型車の受注、想定の３倍", "全国の猛暑日、過去最多に"])) + '</ol></section></aside></main>',
            '<footer class="l-footer">' + nav(["会社案内", "お問い合わせ", "プライバシーポリシー", "著作権"], "l-footer__nav") + '<p class="l-footer__copy">Copyright &copy; The Hibi Shimbun. All rights reserved.</p></footer>']
    return page("小学校の英語、週３コマに　来年度から拡大へ：日々新聞", "\n".join(body), "ja"), [lead] + part1 + part2

def ja_blog():
    lines = ["今日は久しぶりに高尾山に登ってきました。", "朝７時に高尾山口駅に到着。", "平日なのに思ったより人が多くてびっくり。",
             "稲荷山コースを選んで、ゆっくり１時間半で山頂へ。", "途中の展望台から見た景色がとてもきれいでした。",
             "山頂では富士山がうっすら見えました", "お昼はとろろそばを食べて、帰りはケーブルカーで下山。", "次は紅葉の季節にまた来たいと思います。"]
    body = ['<div id="ambHeader"><div class="amb-header"><a href="https://www.ameba.jp/">Ameba</a><a href="https://blog.ameba.jp/">ブログ</a><a href="/login">ログイン</a></div></div>',
            '<div class="skin-blogHeader"><h1 class="skin-blogTitle"><a href="/yama-aruki/">ゆるっと山歩き日記</a></h1><p class="skin-blogDescription">週末ハイカーの記録です</p></div>',
            '<div class="skin-blogBody"><div class="skin-blogMain"><article class="skin-entry" data-unique-entry-id="1234"><div class="skin-entryHead"><h2 class="skin-entryTitle"><a href="/yama-aruki/entry-1234.html">高尾山に行ってきました</a></h2>'
            '<p class="skin-entryPubdate"><time datetime="2022-10-05">2022-10-05 21:14:08</time></p><p class="skin-entryThemes">テーマ：<a href="/yama-aruki/theme-1.html">山歩き</a></p></div>'
            '<div class="skin-entryBody _2p2Bmmd7" id="entryBody">' + "<br><br>".join(e(t) for t in lines[:3]) + '<br><br><img src="https://stat.ameba.jp/user_images/takao1.jpg" width="400" height="300"><br><br>' + "<br>".join(e(t) for t in lines[3:]) + '<br><br></div>'
            '<div class="skin-entryFoot"><div class="js-reblogArea">リブログ(0)</div><ul class="skin-reactionList"><li><a href="#">いいね！</a></li><li><a href="#">コメント(2)</a></li><li><a href="#">リブログ</a></li></ul>'
            '<div class="skin-entryNavi"><a href="/yama-aruki/entry-1233.html" class="skin-btnPrev">前の記事 陣馬山ハイキング</a><a href="/yama-aruki/entry-1235.html" class="skin-btnNext">次の記事 登山靴を買い替えました</a></div></div></article></div>',
            '<div class="skin-blogSide"><div class="skin-widget"><h3>プロフィール</h3><p>ゆるっと</p><a href="/yama-aruki/profile.html">プロフィール</a></div><div class="skin-widget"><h3>最新の記事</h3>' + links([("e", "高尾山に行ってきました"), ("e", "登山靴を買い替えました"), ("e", "陣馬山ハイキング"), ("e", "雨の日の山歩き")], "skin-widgetList") + '</div>'
            '<div class="skin-widget"><h3>月別</h3>' + links([("m", "2022年10月(3)"), ("m", "2022年9月(5)"), ("m", "2022年8月(4)")], "skin-widgetList") + '</div></div></div>',
            '<div id="ambFooter"><ul class="amb-footer">' + "".join(f'<li><a href="/{i}">{t}</a></li>' for i, t in enumerate(["ヘルプ", "利用規約", "プライバシーポリシー"])) + '</ul><p>CyberAgent, Inc. All Rights Reserved.</p></div>']
    return page("高尾山に行ってきました | ゆるっと山歩き日記", "\n".join(body), "ja"), lines

def split_article():
    parts = [["The city council voted 7 to 2 on Tuesday to replace the Harbor Street bridge, ending a decade of debate over whether the 1931 structure could be repaired.",
              "Engineers told the council that corrosion in the steel supports had advanced faster than expected since the last inspection in 2019."],
             ["Council member Rosa Diaz, who voted against the plan, said the cost estimate of 48 million dollars left no money for the east side road repairs promised last year.",
              "\"We are choosing one bridge over forty streets,\" she said."],
             ["Construction is scheduled to begin next spring and will take about two years. A temporary pedestrian crossing will stay open during the work.",
              "Drivers will be detoured via Fifth Avenue, which the city plans to restripe with a dedicated bus lane before the closure."]]
    body = ['<div id="site-header"><div class="masthead"><a href="/" class="brand">The Riverside Ledger</a></div><div class="menu-primary">' + nav(["Local", "Politics", "Business", "Sports", "Opinion", "Obituaries", "e-Edition"], "menu") + '</div></div>',
            '<div class="page-wrap"><div class="story-wrap"><div class="story-header"><span class="kicker">City Hall</span><h1 class="headline">Council votes to replace Harbor Street bridge</h1>'
            '<div class="byline-wrap"><span class="byline">By Tom Becker</span> <span class="pubdate">Published Oct 3, 2023 8:15 PM</span></div></div>',
            '<div class="story-body-part" data-part="1">' + "".join(p(t) for t in parts[0]) + '</div>',
            '<div class="inline-promo"><a href="/subscribe"><strong>Support local news.</strong> Subscribe for 99 cents.</a></div>',
            '<div class="story-body-part2">' + "".join(p(t) for t in parts[1]) + '</div>',
            '<div class="embed-related"><h4>More on the bridge</h4><ul><li><a href="/news/2021/bridge-inspection-report">Inspection report flags corrosion on Harbor Street bridge</a></li><li><a href="/news/2022/bridge-repair-costs">Repair or replace? Bridge costs compared</a></li></ul></div>',
            '<section class="story-body-cont">' + "".join(p(t) for t in parts[2]) + '</section>',
            '<div class="story-tools"><a href="#" class="share-fb">Facebook</a> <a href="#" class="share-tw">Twitter</a> <a href="#" class="share-mail">Email</a> <a href="#" class="print">Print</a></div></div>',
            '<div class="rail"><div class="rail-module most-read"><h3>Most Read</h3><ol>' + "".join(f'<li><a href="/news/{i}">{t}</a></li>' for i, t in enumerate(["High school football scores, week 6", "New taco truck opens on Main", "School board race draws five candidates", "Library extends weekend hours"])) + '</ol></div></div></div>',
            '<div id="site-footer">' + nav(["About Us", "Contact", "Advertise", "Terms of Use", "Privacy Policy"], "footer-menu") + '<p>&copy; 2023 The Riverside Ledger. All rights reserved.</p></div>']
    return page("Council votes to replace Harbor Street bridge | The Riverside Ledger", "\n".join(body)), parts[0] + parts[1] + parts[2]

def howto_lists_tables():
    intro = ["A cast iron pan that is seasoned well is nearly non-stick and will last for generations. Here is the method I use on new and rescued pans."]
    steps = ["Scrub the pan with hot water and a little soap to remove factory wax or rust.", "Dry it completely on the stove over low heat.",
             "Rub a very thin layer of oil over every surface, then wipe off as much as you can.", "Bake upside down at 230 C for one hour.",
             "Let it cool in the oven, then repeat steps 3 and 4 three times."]
    table = [("Oil", "Smoke point", "Finish"), ("Flaxseed", "107 C", "Hard, can flake"), ("Canola", "204 C", "Even, durable"), ("Crisco", "182 C", "Even, slightly soft")]
    outro = ["Whatever oil you choose, thin layers matter more than the oil itself."]
    expected = intro + [f"- {s}" for s in steps] + [" | ".join(r) for r in table] + outro
    body = ['<header class="site-header"><div class="site-branding"><p class="site-title"><a href="/">Skillet Notes</a></p></div><nav id="site-navigation" class="main-navigation">' + nav(["Recipes", "Techniques", "Gear", "About"], "menu") + '</nav></header>',
            '<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main"><article id="post-212" class="post-212 post type-post status-publish">'
            '<header class="entry-header"><h1 class="entry-title">How to season a cast iron pan</h1><div class="entry-meta"><span class="posted-on">Posted on <a href="/2020/11/season/"><time class="entry-date published">November 2, 2020</time></a></span></div></header>',
            '<div class="entry-content">' + "".join(p(t) for t in intro) + '<h2>Steps</h2><ol class="wp-block-list">' + "".join(f"<li>{e(s)}</li>" for s in steps) + '</ol>'
            '<h2>Which oil?</h2><figure class="wp-block-table"><table><thead><tr>' + "".join(f"<th>{c}</th>" for c in table[0]) + '</tr></thead><tbody>' +
            "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in table[1:]) + '</tbody></table></figure>' + "".join(p(t) for t in outro) +
            '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="#">Twitter</a></li><li><a href="#">Facebook</a></li></ul></div></div>'
            '<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/techniques/">Techniques</a></span></footer></article>'
            '<nav class="navigation post-navigation"><div class="nav-links"><div class="nav-previous"><a href="/2020/10/dutch-oven-bread/">Dutch oven bread</a></div><div class="nav-next"><a href="/2020/11/carbon-steel/">Carbon steel vs cast iron</a></div></div></nav>'
            '<div id="comments" class="comments-area"><div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3><form><p class="comment-notes">Your email address will not be published.</p><textarea></textarea></form></div></div></main></div>'
            '<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>' + links([("p", t) for t in ["Dutch oven bread", "Carbon steel vs cast iron", "Restoring a rusty skillet", "Cornbread in cast iron"]], "") + '</section>'
            '<section class="widget widget_archive"><h2 class="widget-title">Archives</h2>' + links([("a", "November 2020"), ("a", "October 2020"), ("a", "September 2020")], "") + '</section></aside></div>',
            '<footer id="colophon" class="site-footer"><div class="site-info"><a href="https://wordpress.org/">Proudly powered by WordPress</a></div></footer>']
    return page("How to season a cast iron pan - Skillet Notes", "\n".join(body)), expected

def docs_sphinx():
    paras = ["Return a new sorted list from the items in iterable.", "Has two optional arguments which must be specified as keyword arguments.",
             "key specifies a function of one argument that is used to extract a comparison key from each element in iterable. The default value is None (compare the elements directly).",
             "reverse is a boolean value. If set to True, then the list elements are sorted as if each comparison were reversed.",
             "The built-in sorted() function is guaranteed to be stable. A sort is stable if it guarantees not to change the relative order of elements that compare equal."]
    code = ">>> sorted([5, 2, 3, 1, 4])\n[1, 2, 3, 4, 5]"
    body = ['<div class="related" role="navigation" aria-label="related navigation"><h3>Navigation</h3><ul><li class="right"><a href="/genindex.html" title="General Index">index</a></li><li class="right"><a href="/py-modindex.html">modules</a> |</li><li class="nav-item nav-item-0"><a href="/index.html">Python 3.12 documentation</a> &raquo;</li><li class="nav-item nav-item-1"><a href="/library/index.html">The Python Standard Library</a> &raquo;</li></ul></div>',
            '<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main"><section id="sorted"><h1>sorted()<a class="headerlink" href="#sorted" title="Permalink to this headline">&para;</a></h1>'
            '<dl class="py function"><dt class="sig sig-object py" id="sorted"><span class="sig-name descname"><span class="pre">sorted</span></span><span class="sig-paren">(</span><em class="sig-param">iterable</em>, <em class="sig-param">/</em>, <em class="sig-param">*</em>, <em class="sig-param">key=None</em>, <em class="sig-param">reverse=False</em><span class="sig-paren">)</span><a class="headerlink" href="#sorted" title="Permalink to this definition">&para;</a></dt>'
            '<dd>' + "".join(p(t) for t in paras[:4]) + f'<div class="highlight-pycon notranslate"><div class="highlight"><pre>{e(code)}</pre></div></div>' + p(paras[4]) +
            '<div class="admonition seealso"><p class="admonition-title">See also</p><p><a class="reference internal" href="/howto/sorting.html">Sorting Techniques</a>.</p></div></dd></dl></section></div></div></div>'
            '<div class="sphinxsidebar" role="navigation" aria-label="main navigation"><div class="sphinxsidebarwrapper"><h3><a href="/contents.html">Table of Contents</a></h3><ul><li><a class="reference internal" href="#">sorted()</a></li></ul>'
            '<h4>Previous topic</h4><p class="topless"><a href="/library/functions.html" title="previous chapter">Built-in Functions</a></p><h4>Next topic</h4><p class="topless"><a href="/library/constants.html" title="next chapter">Built-in Constants</a></p>'
            '<div role="note" aria-label="source link"><h3>This Page</h3><ul class="this-page-menu"><li><a href="/bugs.html">Report a Bug</a></li><li><a href="/_sources/library/sorted.rst.txt" rel="nofollow">Show Source</a></li></ul></div></div></div></div>',
            '<div class="footer">&copy; <a href="/copyright.html">Copyright</a> 2001-2024, Python Software Foundation. This page is licensed under the Python Software Foundation License Version 2. Last updated on Jan 01, 2024. Created using <a href="https://www.sphinx-doc.org/">Sphinx</a> 7.2.6.</div>']
    expected = ["sorted(iterable, /, *, key=None, reverse=False)"] + paras[:4] + [code, paras[4], "See also", "Sorting Techniques."]
    return page("sorted() — Python 3.12 documentation", "\n".join(body)), expected

def product():
    desc = ["This 12-cup programmable coffee maker brews a full carafe in under ten minutes and keeps it hot for up to four hours.",
            "The reusable gold-tone filter means no paper filters to buy, and the pause-and-serve feature lets you pour a cup before brewing finishes."]
    specs = [("Capacity", "12 cups (1.8 L)"), ("Power", "1000 W"), ("Dimensions", "24 x 20 x 36 cm"), ("Weight", "2.4 kg"), ("Warranty", "2 years")]
    expected = desc + [f"{a} | {b}" for a, b in specs]
    body = ['<div class="header"><div class="promo-bar">Free shipping on orders over $35</div><a href="/" class="logo">HomeGoods Direct</a><div class="search-box"><input type="search" placeholder="Search products"></div>' +
            nav(["Kitchen", "Appliances", "Bedding", "Bath", "Furniture", "Deals"], "mega-menu") + '<a href="/cart" class="cart-link">Cart (0)</a></div>',
            '<div class="breadcrumbs"><a href="/">Home</a> / <a href="/kitchen">Kitchen</a> / <a href="/kitchen/coffee">Coffee Makers</a></div>',
            '<div class="product-page"><div class="product-gallery"><img src="/media/cm12-main.jpg" width="600" height="600" alt="BrewMaster 12-cup coffee maker"><div class="thumbs"><img src="/media/cm12-t1.jpg" width="80" height="80"><img src="/media/cm12-t2.jpg" width="80" height="80"></div></div>',
            '<div class="product-info"><h1 class="product-title">BrewMaster 12-Cup Programmable Coffee Maker</h1><div class="rating"><span class="stars">4.5 out of 5</span> <a href="#reviews">(1,382 reviews)</a></div>'
            '<div class="price-box"><span class="price">$49.99</span> <span class="was-price">$69.99</span></div><div class="add-to-cart"><label>Qty</label><select><option>1</option></select><button>Add to Cart</button></div>'
            '<ul class="usp"><li>Free returns</li><li>Ships in 1-2 days</li></ul></div>',
            '<div class="product-tabs"><ul class="tab-nav"><li><a href="#desc">Description</a></li><li><a href="#specs">Specifications</a></li><li><a href="#reviews">Reviews</a></li></ul>'
            '<div id="desc" class="tab-panel">' + "".join(p(t) for t in desc) + '</div>'
            '<div id="specs" class="tab-panel"><table class="spec-table">' + "".join(f"<tr><th>{a}</th><td>{b}</td></tr>" for a, b in specs) + '</table></div>'
            '<div id="reviews" class="tab-panel"><h3>Customer Reviews</h3><p>Write a review to share your thoughts with other customers.</p><a href="/review/cm12" class="btn">Write a review</a></div></div>',
            '<div class="recs"><h2>Customers also viewed</h2><ul class="product-grid">' + "".join(f'<li class="product-card"><a href="/p/{i}"><img src="/media/r{i}.jpg" width="200" height="200"><span class="name">{t}</span></a><span class="price">${19+i*10}.99</span></li>' for i, t in enumerate(["Burr Coffee Grinder", "Glass Carafe Replacement", "Milk Frother", "Pour-Over Kettle"])) + '</ul></div></div>',
            '<div class="footer"><div class="footer-cols">' + nav(["Customer Service", "Track Order", "Returns", "Gift Cards", "Careers", "Store Locator"], "footer-links") + '</div><p>&copy; 2024 HomeGoods Direct</p></div>']
    return page("BrewMaster 12-Cup Programmable Coffee Maker | HomeGoods Direct", "\n".join(body)), expected

def listing():
    items = [("Five hikes under two hours near the city", "Short trails with big views, all reachable by public transport."),
             ("What to pack for a rainy day hike", "A checklist for staying dry without carrying your whole closet."),
             ("The best trail snacks, ranked", "We tested twenty snacks on five hikes. Dates won."),
             ("How to read a topographic map", "Contour lines explained with three simple examples."),
             ("Hiking with kids: a beginner's guide", "Keep it short, bring snacks, and let them lead."),
             ("Winter hiking safety tips", "Daylight, layers and traction: what changes when it snows.")]
    expected = []
    body = ['<header id="masthead"><a class="site-logo" href="/">Trail Notes</a><nav class="primary-menu">' + nav(["Hikes", "Gear", "Skills", "Destinations", "About"], "menu") + '</nav></header>',
            '<div id="main"><div class="archive-header"><h1 class="archive-title">Category: Skills</h1><p class="archive-description">Everything you need to know before you go.</p></div><div class="post-list">']
    for i, (t, s) in enumerate(items):
        expected += [t, s]
        body.append(f'<article class="post-card"><a class="post-card-image" href="/skills/{i}"><img src="/img/card{i}.jpg" width="300" height="200" alt=""></a><div class="post-card-body">'
                    f'<h2 class="post-card-title"><a href="/skills/{i}-{t.lower().replace(" ", "-")[:20]}">{e(t)}</a></h2><p class="post-card-excerpt">{e(s)}</p>'
                    f'<div class="post-card-meta"><span class="author">Jo Park</span> &middot; <time>May {i+1}, 2023</time> &middot; <span>{3+i} min read</span></div></div></article>')
    body.append('</div><nav class="pagination"><a class="prev" href="#">Newer posts</a> <span class="page-number">Page 1 of 4</span> <a class="next" href="/skills/page/2">Older posts</a></nav></div>'
                '<aside class="sidebar"><div class="widget newsletter"><h3>Newsletter</h3><p>Get one trail idea every Friday.</p><form><input type="email"><button>Sign up</button></form></div>'
                '<div class="widget tags"><h3>Tags</h3>' + links([("t", x) for x in ["beginner", "family", "winter", "maps", "food"]], "tag-cloud") + '</div></aside>'
                '<footer class="site-footer">' + nav(["About", "Contact", "Privacy"], "footer-menu") + '<p>&copy; 2023 Trail Notes</p></footer>')
    return page("Skills Archives - Trail Notes", "\n".join(body)), expected

PAGES.update({"zh_news_portal": ("article_cjk", zh_portal), "ja_news_split": ("article_cjk", ja_news_split), "ja_blog_lines": ("article_cjk", ja_blog),
              "article_split_containers": ("article", split_article), "howto_list_table": ("article", howto_lists_tables),
              "docs_sphinx": ("docs", docs_sphinx), "product_page": ("product", product), "listing_cards": ("listing", listing)})
