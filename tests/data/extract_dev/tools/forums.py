"""Forum threads and Q&A pages, modelled on phpBB prosilver, vBulletin 4, Discuz! X3, Discourse and Stack Exchange
markup. Content written by hand; `expected` is what a reader calls the thread: every post's body (quotes inside
a post included), never user panels, signatures, buttons, navigation or footers."""
from html import escape as e
from common import page, nav, links, p

PAGES = {}

def phpbb():
    posts = [
        ("mike_t", "Re: Rear brake squeals after pad change", [
            "I swapped the rear pads on my 2014 Trek FX last weekend and since then the rear brake squeals every time I stop, even at low speed.",
            "I cleaned the rotor with isopropyl alcohol and bedded the pads in with about twenty hard stops. No change. Any ideas before I take it to the shop?"], None),
        ("velo_dan", "Re: Rear brake squeals after pad change", [
            "Did you check the caliper alignment? Loosen the two mounting bolts, squeeze the lever and tighten them while holding it."], None),
        ("mike_t", "Re: Rear brake squeals after pad change", [
            "Tried that, still squeals."], "Did you check the caliper alignment?"),
        ("grumpy_wrench", "Re: Rear brake squeals after pad change", [
            "Organic pads on a rotor that ran sintered pads before will often sing until the old pad material is worn off the rotor.",
            "Light sanding of the rotor with 400 grit paper usually fixes it. Also make sure you did not touch the pad surface with greasy fingers."], None),
        ("mike_t", "Re: Rear brake squeals after pad change", [
            "That was it! Sanded the rotor, wiped it down, ten stops, silent.", "Thanks everyone."], None),
        ("kate88", "Re: Rear brake squeals after pad change", ["Same here, worked for me too."], None),
    ]
    body = ['<div id="wrap"><div id="page-header"><div class="headerbar"><a href="/" id="logo"><img src="/styles/logo.png" alt="Cycling Forum"></a>',
            '<h1>Bike Repair Forum</h1><p class="site-desc">Ask, answer, fix.</p></div>',
            '<div class="navbar">' + nav(["Quick links", "FAQ", "Members", "Register", "Login"], "nav-main linklist") +
            '<ul class="nav-breadcrumbs"><li><a href="/index.php">Board index</a> &lsaquo; <a href="/viewforum.php?f=4">Maintenance</a> &lsaquo; <a href="/viewforum.php?f=9">Brakes</a></li></ul></div></div>',
            '<div id="page-body"><h2 class="topic-title"><a href="/viewtopic.php?t=5512">Rear brake squeals after pad change</a></h2>',
            '<div class="action-bar bar-top"><a class="button" href="/posting.php?mode=reply&t=5512">Post Reply</a>'
            '<div class="pagination">6 posts &bull; Page <strong>1</strong> of <strong>1</strong></div></div>']
    expected = []
    for k, (user, subj, paras, quote) in enumerate(posts):
        content = ""
        if quote:
            content += f'<blockquote><div><cite>velo_dan wrote:</cite>{e(quote)}</div></blockquote>'
            expected.append(quote)
        content += "<br><br>".join(e(t) for t in paras)
        expected += paras
        sig = '<div id="sig%d" class="signature">Ride more, worry less. <a href="http://example.org/blog">My blog</a></div>' % k if user == "grumpy_wrench" else ""
        body.append(f'<div id="p{7700+k}" class="post has-profile bg{k % 2 + 1}"><div class="inner">'
                    f'<dl class="postprofile" id="profile{7700+k}"><dt class="has-profile-rank"><a href="/memberlist.php?u={k}" class="username">{user}</a></dt>'
                    f'<dd class="profile-rank">Member</dd><dd class="profile-posts"><strong>Posts:</strong> <a href="/search.php?author_id={k}">{120 + 37 * k}</a></dd>'
                    f'<dd class="profile-joined"><strong>Joined:</strong> Mar {2010 + k}</dd></dl>'
                    f'<div class="postbody"><div id="post_content{7700+k}"><h3><a href="#p{7700+k}">{e(subj)}</a></h3>'
                    f'<ul class="post-buttons"><li><a href="/posting.php?mode=quote&p={7700+k}" class="button" title="Reply with quote"><span>Quote</span></a></li></ul>'
                    f'<p class="author"><a href="#p{7700+k}">Post</a> by <strong><a href="/memberlist.php?u={k}">{user}</a></strong> &raquo; Tue Jun {3+k}, 2019 {9+k}:14 am</p>'
                    f'<div class="content">{content}</div>{sig}</div></div><div class="back2top"><a href="#top" class="top">Top</a></div></div></div><hr class="divider">')
    body.append('<div class="action-bar bar-bottom"><a class="button" href="/posting.php?mode=reply&t=5512">Post Reply</a></div>'
                '<div class="jumpbox"><h3>Return to &ldquo;Brakes&rdquo;</h3>' + nav(["Wheels", "Drivetrain", "Brakes", "Frames", "Electronics"], "dropdown-contents") + '</div>'
                '<div class="stat-block online-list"><h3>Who is online</h3><p>Users browsing this forum: No registered users and 3 guests</p></div></div>'
                '<div id="page-footer"><div class="navbar">' + nav(["Board index", "Contact us", "The team", "Delete cookies"], "linklist") +
                '</div><div class="copyright">Powered by phpBB&reg; Forum Software &copy; phpBB Limited</div></div></div>')
    return page("Rear brake squeals after pad change - Bike Repair Forum", "\n".join(body)), expected

def vbulletin():
    posts = [
        ("SawdustSam", ["Building a workbench from 2x4s and a solid-core door. Should I glue and screw the apron to the legs or use bolts so I can take it apart later?",
                        "The bench will live in a rented garage, so moving it out in two years is likely."]),
        ("OldOakJoe", ["Carriage bolts through the legs, with a nut in a mortise on the inside of the apron. It will be rock solid and comes apart with one wrench."]),
        ("lindaw", ["Bolts. I glued mine and regret it every time I move.", "Also put the door on cleats, not glue."]),
        ("SawdustSam", ["Great, bolts it is. Thanks!"]),
        ("Mortise&Tenon", ["If you have the time, drawbore the joints with oak pegs instead. No glue, no hardware, and you can knock the pegs out when you move."]),
    ]
    body = ['<div class="above_body"><div id="header" class="floatcontainer doc_header"><a name="top" href="/forum.php" class="logo-image"><img src="/images/misc/vbulletin4_logo.png" alt="Woodworking Talk"></a>'
            '<div id="toplinks" class="toplinks"><ul class="nouser"><li><a href="/register.php">Register</a></li><li><a href="/faq.php">Help</a></li></ul></div></div>'
            '<div id="navbar" class="navbar"><ul id="navtabs" class="navtabs floatcontainer"><li class="selected"><a class="navtab" href="/forum.php">Forum</a>' + nav(["New Posts", "FAQ", "Calendar", "Community", "Forum Actions", "Quick Links"], "floatcontainer") + '</li><li><a class="navtab" href="/activity.php">What\'s New?</a></li></ul></div></div>',
            '<div class="body_wrapper"><div id="breadcrumb" class="breadcrumb"><ul class="floatcontainer"><li class="navbithome"><a href="/index.php">Home</a></li><li class="navbit"><a href="/forum.php">Forum</a></li><li class="navbit"><a href="/forumdisplay.php?12-Workshop">Workshop</a></li><li class="navbit lastnavbit"><span>Workbench apron: glue or bolts?</span></li></ul></div>',
            '<div id="pagetitle"><h1>Thread: <span class="threadtitle"><a href="/showthread.php?8891">Workbench apron: glue or bolts?</a></span></h1></div>',
            '<div id="thread_controls" class="thread_controls toolsmenu"><ul class="popupgroup"><li><a href="#">Thread Tools</a></li><li><a href="#">Search Thread</a></li><li><a href="#">Display</a></li></ul></div>',
            '<div id="postlist" class="postlist restrain"><ol id="posts" class="posts" start="1">']
    expected = []
    for k, (user, paras) in enumerate(posts):
        expected += paras
        body.append(f'<li class="postbitlegacy postbitim postcontainer old" id="post_{40210+k}"><div class="posthead"><span class="postdate old"><span class="date">06-1{k}-2016,&nbsp;<span class="time">07:4{k} PM</span></span></span>'
                    f'<span class="nodecontrols"><a name="post{40210+k}" href="/showthread.php?8891&p={40210+k}#post{40210+k}" class="postcounter">#{k+1}</a></span></div>'
                    f'<div class="postdetails"><div class="userinfo"><div class="username_container"><a class="username offline popupctrl" href="/member.php?{k}"><strong>{e(user)}</strong></a></div>'
                    f'<span class="usertitle">Senior Member</span><a class="postuseravatar" href="/member.php?{k}"><img src="/customavatars/avatar{k}_1.gif" alt="{e(user)}\'s Avatar" width="80" height="80"></a>'
                    f'<hr><dl class="userinfo_extra"><dt>Join Date</dt><dd>Jan 20{10+k}</dd><dt>Location</dt><dd>Ohio</dd><dt>Posts</dt><dd>{1200+k*311}</dd></dl></div>'
                    f'<div class="postbody"><div class="postrow"><div class="content"><div id="post_message_{40210+k}"><blockquote class="postcontent restore ">{"<br><br>".join(e(t) for t in paras)}</blockquote></div></div></div>'
                    f'<div class="cleardiv"></div></div></div><div class="postfoot"><div class="textcontrols floatcontainer"><span class="postcontrols"><a class="quote" href="/newreply.php?do=newreply&p={40210+k}" rel="nofollow"><img src="/images/buttons/quote_40b.png" alt="Reply With Quote"> Reply With Quote</a></span></div></div><hr></li>')
    body.append('</ol></div><div id="similar_threads"><h4 class="threadinfohead blockhead">Similar Threads</h4><ol class="similar_threads">' +
                "".join(f'<li class="floatcontainer"><h6><a href="/showthread.php?{800+i}">{t}</a></h6><div class="starter">By {u} in forum Workshop</div><div class="replies">Replies: {i+3}</div></li>' for i, (t, u) in enumerate([("Best finish for a workbench top?", "benchguy"), ("Leg vise hardware recommendations", "tuckerj"), ("Roubo vs Nicholson bench", "planeman")])) +
                '</ol></div><div id="footer" class="floatcontainer footer">' + nav(["Contact Us", "Woodworking Talk", "Archive", "Privacy Statement", "Top"], "footer_links") +
                '<p class="footer_copyright">Powered by vBulletin&reg; Version 4.2.5 Copyright &copy; 2024 vBulletin Solutions Inc. All rights reserved.</p></div></div>')
    return page("Workbench apron: glue or bolts?", "\n".join(body)), expected

def discuz_zh():
    posts = [
        ("老猫", ["最近打算入手一台二手的富士X-T30，预算四千左右，主要拍街头和旅行。", "看了几家店，快门数都在一万以内，想问问各位这个价格合不合适，有没有什么需要特别检查的地方？"]),
        ("光影随行", ["价格可以。重点看传感器有没有灰尘和坏点，拍一张纯白墙放大看看，再检查一下热靴和卡口有没有磨损。"]),
        ("阿杰摄影", ["顶一下，我也在关注这款"]),
        ("北方的狼", ["建议去线下店当面验机，别图便宜在网上买来路不明的。", "另外问清楚有没有保修，水货和行货价格差五百左右。"]),
        ("老猫", ["谢谢各位，周末去店里看看实机再决定"]),
        ("胶片控", ["X-T30手感不错，就是电池不太耐用，多备两块电池吧"]),
    ]
    body = ['<div id="toptb" class="cl"><div class="wp"><div class="z"><a href="/">设为首页</a><a href="/">收藏本站</a></div><div class="y"><a href="/member.php?mod=register">立即注册</a> <a href="/member.php?mod=logging">登录</a></div></div></div>',
            '<div id="hd"><div class="wp"><div class="hdc cl"><h2><a href="/" title="摄影论坛"><img src="/static/image/common/logo.png" alt="摄影论坛"></a></h2></div>'
            '<div id="nv">' + links([("forum", "论坛"), ("guide", "导读"), ("home", "动态"), ("group", "群组"), ("ranklist", "排行榜"), ("misc", "帮助")], "") + '</div></div></div>',
            '<div id="wp" class="wp"><div id="pt" class="bm cl"><div class="z"><a href="/" class="nvhm">摄影论坛</a><em>&rsaquo;</em><a href="/forum.php">论坛</a><em>&rsaquo;</em><a href="/forum-12-1.html">器材交流</a><em>&rsaquo;</em><a href="/thread-3344-1-1.html">二手富士X-T30四千元值得买吗</a></div></div>',
            '<div id="ct" class="wp cl"><div id="pgt" class="pgs mbm cl"><div class="pgt"><div class="pg"><strong>1</strong><a href="/thread-3344-2-1.html">2</a><a href="/thread-3344-2-1.html" class="nxt">下一页</a></div></div><a id="newspecial" href="/forum.php?mod=post&action=newthread&fid=12" title="发新帖"><img src="/static/image/common/pn_post.png" alt="发新帖"></a></div>',
            '<div id="postlist" class="pl bm"><table cellspacing="0" cellpadding="0"><tr><td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">2316</span><span class="pipe">|</span><span class="xg1">回复:</span> <span class="xi1">5</span></div></td>'
            '<td class="plc ptm pbn vwthd"><h1 class="ts"><span id="thread_subject">二手富士X-T30四千元值得买吗</span></h1></td></tr></table>']
    expected = []
    for k, (user, paras) in enumerate(posts):
        expected += paras
        body.append(f'<div id="post_{90010+k}"><table id="pid{90010+k}" class="plhin" summary="pid{90010+k}" cellspacing="0" cellpadding="0"><tr>'
                    f'<td class="pls" rowspan="2"><div class="pi"><div class="authi"><a href="/space-uid-{k}.html" target="_blank" class="xw1">{e(user)}</a></div></div>'
                    f'<div class="avatar"><a href="/space-uid-{k}.html"><img src="/uc_server/avatar.php?uid={k}&size=middle"></a></div>'
                    f'<div class="tns xg2"><table cellspacing="0" cellpadding="0"><tr><th><p><a href="/home.php?uid={k}" class="xi2">{30+k*7}</a></p>主题</th><th><p><a href="/home.php?uid={k}" class="xi2">{200+k*51}</a></p>帖子</th><td><p><a href="/home.php?uid={k}" class="xi2">{900+k*97}</a></p>积分</td></tr></table></div>'
                    f'<p><em><a href="/home.php?mod=spacecp&ac=usergroup&gid=12">中级会员</a></em></p></td>'
                    f'<td class="plc"><div class="pi"><strong><a href="/forum.php?mod=redirect&goto=findpost&ptid=3344&pid={90010+k}" id="postnum{90010+k}">{"楼主" if k == 0 else str(k+1)+"#"}</a></strong>'
                    f'<div class="pti"><div class="authi"><em id="authorposton{90010+k}">发表于 2021-3-{10+k} 20:1{k}</em><span class="pipe">|</span><a href="/forum.php?mod=viewthread&tid=3344&page=1&authorid={k}" rel="nofollow">只看该作者</a></div></div></div>'
                    f'<div class="pct"><div class="pcb"><div class="t_fsz"><table cellspacing="0" cellpadding="0"><tr><td class="t_f" id="postmessage_{90010+k}">{"<br>".join(e(t) for t in paras)}</td></tr></table></div></div></div></td></tr>'
                    f'<tr><td class="plc plm"></td></tr><tr><td class="pls"></td><td class="plc"><div class="po hin"><div class="pob cl"><em><a class="fastre" href="/forum.php?mod=post&action=reply&fid=12&tid=3344&repquote={90010+k}">回复</a></em>'
                    f'<p><a href="javascript:;" id="mgc_post_{90010+k}">使用道具</a><a href="javascript:;">举报</a></p></div></div></td></tr></table></div>')
    body.append('</div><div class="pgs mtm mbm cl"><div class="pg"><strong>1</strong><a href="/thread-3344-2-1.html">2</a></div><span class="pgb y"><a href="/forum-12-1.html">返回列表</a></span></div>'
                '<div id="f_pst" class="pl bm bmw"><form method="post" id="fastpostform"><table><tr><td class="pls"></td><td class="plc"><span id="fastposteditor"><textarea name="message" id="fastpostmessage"></textarea></span><p class="ptm pnpost"><button type="submit">发表回复</button></p></td></tr></table></form></div></div></div>'
                '<div id="ft" class="wp cl"><div id="flk" class="y"><p><a href="/misc.php?mod=faq">帮助</a><span class="pipe">|</span><a href="/archiver/">Archiver</a><span class="pipe">|</span><a href="/forum.php?mobile=yes">手机版</a><span class="pipe">|</span><strong><a href="/" target="_blank">摄影论坛</a></strong> ( <a href="http://beian.miit.gov.cn/">京ICP备12345678号</a> )</p></div>'
                '<div id="frt"><p>Powered by <strong><a href="http://www.discuz.net" target="_blank">Discuz!</a></strong> <em>X3.4</em></p><p class="xs0">&copy; 2001-2021 <a href="http://www.comsenz.com" target="_blank">Comsenz Inc.</a></p></div></div>')
    return page("二手富士X-T30四千元值得买吗 - 器材交流 - 摄影论坛", "\n".join(body), "zh-CN"), expected

def discourse():
    posts = [
        ("hanna", ["After upgrading to 3.2 our nightly backup job fails with \"pg_dump: error: server version mismatch\".", "The container runs Postgres 15 and the backup image still ships pg_dump 13. Is there a supported way to pin the client version?"]),
        ("sam_admin", ["Yes: set BACKUP_PG_CLIENT=15 in app.yml and rebuild. The rebuild pulls the matching client packages.", "We should have called this out in the release notes, sorry about that."]),
        ("hanna", ["Rebuilt with the setting and last night's backup succeeded. Thank you!"]),
        ("ltorres", ["Confirming the same fix works on a multi-container install, you only need it in the data container."]),
    ]
    body = ['<header class="d-header"><div class="wrap"><div class="contents"><div class="title"><a href="/"><img src="/uploads/logo.png" alt="Meta Community" id="site-logo"></a></div>'
            '<div class="panel"><ul class="icons d-header-icons"><li class="search-dropdown"><a href="/search" class="icon">Search</a></li><li><a href="/login" class="login-button">Log In</a></li></ul></div></div></div></header>',
            '<div id="main-outlet" class="wrap"><div id="topic-title"><h1><a href="/t/backup-fails-after-upgrade/2231">Backup fails after upgrade: pg_dump version mismatch</a></h1>'
            '<div class="topic-category"><a class="badge-category" href="/c/support/6">support</a> <a class="discourse-tag" href="/tag/backups">backups</a></div></div>',
            '<div class="container posts"><div class="row"><section class="topic-area" id="topic" data-topic-id="2231"><div class="posts-wrapper"><div class="post-stream">']
    expected = []
    for k, (user, paras) in enumerate(posts):
        expected += paras
        body.append(f'<div class="topic-post clearfix regular" data-post-number="{k+1}"><article id="post_{k+1}" aria-label="post #{k+1} by @{user}" role="region" class="boxed onscreen-post">'
                    f'<div class="row"><div class="topic-avatar"><a class="trigger-user-card main-avatar" href="/u/{user}"><img alt="" width="45" height="45" src="/user_avatar/{user}/45/1.png" class="avatar"></a></div>'
                    f'<div class="topic-body clearfix"><div role="heading" class="topic-meta-data"><div class="names trigger-user-card"><span class="first username"><a href="/u/{user}">{user}</a></span></div>'
                    f'<div class="post-infos"><div class="post-info post-date"><a class="post-date" href="/t/backup-fails-after-upgrade/2231/{k+1}"><span title="Feb {4+k}, 2024 9:0{k} am" class="relative-date">Feb {4+k}</span></a></div></div></div>'
                    f'<div class="regular contents"><div class="cooked">{"".join(p(t) for t in paras)}</div>'
                    f'<section class="post-menu-area clearfix"><nav class="post-controls"><div class="actions"><button class="widget-button like" title="like this post">{k*2+1}</button><button class="widget-button share" title="copy a link to this post">Share</button><button class="widget-button reply">Reply</button></div></nav></section></div></div></div></article></div>')
    body.append('</div></div></section></div></div><div class="more-topics__container"><h3 class="more-topics__list-title">Suggested Topics</h3><table class="topic-list"><tbody>' +
                "".join(f'<tr class="topic-list-item"><td class="main-link"><a href="/t/{t.lower().replace(" ", "-")}/{900+i}" class="title">{t}</a></td><td class="posts">{i+2}</td><td class="activity">Jan {i+3}</td></tr>' for i, t in enumerate(["Restore from S3 hangs at 90 percent", "Sidekiq queue grows after rebuild", "Uploads missing after migration"])) +
                '</tbody></table></div></div><footer class="footer"><nav>' + nav(["Home", "Categories", "Guidelines", "Terms of Service", "Privacy Policy"], "footer-links") + '</nav><p>Powered by Discourse, best viewed with JavaScript enabled</p></footer>')
    return page("Backup fails after upgrade: pg_dump version mismatch - support - Meta Community", "\n".join(body)), expected

def stackexchange():
    q = ["I have a list of dictionaries and I want to sort it by the value of the key \"age\". What is the cleanest way to do this in Python 3?",
         "people = [{\"name\": \"Ann\", \"age\": 31}, {\"name\": \"Bo\", \"age\": 24}]"]
    q_comments = ["Do you want to sort in place or get a new list?", "A new list is fine, thanks."]
    answers = [
        (["Use sorted() with a key function:", "sorted(people, key=lambda d: d[\"age\"])", "Pass reverse=True to get the oldest first."],
         ["operator.itemgetter(\"age\") is a bit faster than the lambda for large lists.", "Good point, edited to mention it."]),
        (["If you want to sort the list in place, call people.sort(key=itemgetter(\"age\")) after from operator import itemgetter.", "It returns None, so do not assign the result."], []),
        (["For missing keys use d.get(\"age\", 0) in the key function, otherwise you get a KeyError."], ["This saved me, my data had gaps."]),
    ]
    def comments(cs):
        if not cs:
            return '<div class="comments js-comments-container"><ul class="comments-list js-comments-list"></ul></div><a class="js-add-link comments-link" href="#" title="Use comments to ask for more information">Add a comment</a>'
        return ('<div class="comments js-comments-container"><ul class="comments-list js-comments-list">' +
                "".join(f'<li class="comment js-comment"><div class="js-comment-actions comment-actions"><div class="comment-score"><span title="number of upvotes" class="cool">{3+i}</span></div></div>'
                        f'<div class="comment-text js-comment-text-and-form"><div class="comment-body js-comment-edit-hide"><span class="comment-copy">{e(c)}</span> &ndash;&nbsp;<div class="d-inline-flex"><a href="/users/{50+i}/u{i}" class="comment-user">user{50+i}</a></div>'
                        f'<span class="comment-date"><span class="relativetime-clean">Mar {i+2}, 2021 at 10:0{i}</span></span></div></div></li>' for i, c in enumerate(cs)) +
                '</ul></div><a class="js-add-link comments-link" href="#">Add a comment</a>')
    def post_body(paras):
        out = []
        for t in paras:
            out.append(f"<pre class=\"lang-py s-code-block\"><code>{e(t)}</code></pre>" if t.startswith(("people =", "sorted(")) else p(t))
        return "".join(out)
    def votes(n):
        return (f'<div class="votecell post-layout--left"><div class="js-voting-container"><button class="js-vote-up-btn" aria-label="Up vote">Up</button>'
                f'<div class="js-vote-count" itemprop="upvoteCount">{n}</div><button class="js-vote-down-btn" aria-label="Down vote">Down</button>'
                f'<a class="js-post-issue" href="/posts/1/timeline" title="Show activity on this post.">Timeline</a></div></div>')
    def signature(name, rep):
        return (f'<div class="post-signature"><div class="user-info"><div class="user-action-time">answered <span class="relativetime">Mar 3, 2021</span></div>'
                f'<div class="user-gravatar32"><a href="/users/9/{name}"><img src="/avatar/{name}.png" alt="{name}\'s user avatar" width="32" height="32"></a></div>'
                f'<div class="user-details"><a href="/users/9/{name}">{name}</a><div class="-flair"><span class="reputation-score">{rep}</span></div></div></div></div>')
    body = ['<header class="s-topbar"><div class="s-topbar--container"><a href="/" class="s-topbar--logo"><span class="-img">Stack Overflow</span></a>' + nav(["About", "Products", "For Teams"], "s-navigation") +
            '<form id="search" class="s-topbar--searchbar" action="/search"><input name="q" type="text" placeholder="Search..."></form></div></header>',
            '<div class="container"><div id="left-sidebar" class="left-sidebar"><nav role="navigation">' + nav(["Home", "Questions", "Tags", "Users", "Companies", "Collectives", "Explore Teams"], "nav-links") + '</nav></div>',
            '<div id="content" class="snippet-hidden"><div id="question-header" class="d-flex sm:fd-column"><h1 itemprop="name" class="fs-headline1"><a href="/questions/7001/how-do-i-sort-a-list-of-dicts-by-a-value" class="question-hyperlink">How do I sort a list of dictionaries by a value?</a></h1></div>',
            '<div class="d-flex fw-wrap pb8 mb16 bb bc-black-075"><div class="flex--item" title="2021-03-02">Asked <time>3 years ago</time></div><div class="flex--item">Viewed 12k times</div></div>',
            '<div id="mainbar" role="main"><div class="question js-question" id="question" data-questionid="7001"><div class="post-layout">' + votes(42) +
            f'<div class="postcell post-layout--right"><div class="s-prose js-post-body" itemprop="text">{post_body(q)}</div>'
            '<div class="mt24 mb12"><div class="post-taglist"><ul class="ml0 list-ls-none js-post-tag-list-wrapper d-inline"><li><a href="/questions/tagged/python" class="post-tag">python</a></li><li><a href="/questions/tagged/sorting" class="post-tag">sorting</a></li><li><a href="/questions/tagged/dictionary" class="post-tag">dictionary</a></li></ul></div></div>'
            + signature("curious_cat", "1,201") + '</div>' + comments(q_comments) + '</div></div>',
            '<div id="answers"><div id="answers-header"><h2 class="mb0">3 Answers</h2><div class="js-sort-container">Sorted by: <select id="answer-sort-dropdown-select-menu"><option>Highest score (default)</option></select></div></div>']
    expected = q + q_comments
    for k, (paras, cs) in enumerate(answers):
        expected += paras + cs
        body.append(f'<a name="{8000+k}"></a><div id="answer-{8000+k}" class="answer js-answer{" accepted-answer" if k == 0 else ""}" data-answerid="{8000+k}" itemprop="suggestedAnswer"><div class="post-layout">' + votes(60 - 20 * k) +
                    f'<div class="answercell post-layout--right"><div class="s-prose js-post-body" itemprop="text">{post_body(paras)}</div>'
                    '<div class="mt24"><div class="d-flex fw-wrap ai-start jc-end gs8 gsy"><div class="flex--item mr16"><div class="js-post-menu pt2"><div class="d-flex gs8 s-anchors"><div class="flex--item"><a href="/a/8000" class="js-share-link">Share</a></div><div class="flex--item"><a href="/posts/8000/edit" class="js-suggest-edit-post">Improve this answer</a></div><div class="flex--item"><button class="s-btn s-btn__link js-follow-post">Follow</button></div></div></div></div>'
                    + signature(["zed", "mina_k", "oakes"][k], ["88.1k", "5,310", "402"][k]) + '</div></div></div>' + comments(cs) + '</div></div>')
    body.append('<h2 class="bottom-notice">Not the answer you\'re looking for? Browse other questions tagged <a href="/questions/tagged/python" class="post-tag">python</a> or <a href="/questions/ask">ask your own question</a>.</h2></div></div>'
                '<div id="sidebar" class="show-votes" role="complementary"><div class="s-sidebarwidget"><ul class="d-block p0 m0"><li class="s-sidebarwidget--header">The Overflow Blog</li><li><a href="/blog/1">Why developers love clean code but hate writing documentation</a></li></ul></div>'
                '<div class="module sidebar-linked"><h4 id="h-linked">Linked</h4><div class="linked">' +
                "".join(f'<div class="spacer"><a href="/q/{100+i}"><div class="answer-votes">{9+i}</div></a><a href="/questions/{100+i}" class="question-hyperlink">{t}</a></div>' for i, t in enumerate(["Sort a dictionary by value", "How to sort objects by multiple keys", "Python sorted() key function explained"])) +
                '</div></div></div></div></div><footer id="footer" class="site-footer"><div class="site-footer--container">' + nav(["Stack Overflow", "Questions", "Help", "Chat", "About", "Press", "Work Here", "Legal", "Privacy Policy"], "site-footer--nav") +
                '<p class="site-footer--copyright">Site design / logo &copy; 2024 Stack Exchange Inc; user contributions licensed under CC BY-SA.</p></div></footer>')
    return page("python - How do I sort a list of dictionaries by a value? - Stack Overflow", "\n".join(body)), expected

def zhihu():
    q = "在一线城市工作五年，存款不多，是该回老家还是继续留下？"
    detail = ["今年三十岁，在深圳做产品经理，房租占工资三分之一。老家是二线城市，父母希望我回去考公务员。"]
    answers = [
        ("林间小路", ["我三年前从北京回了成都，说说我的感受。", "收入降了一半，但是生活成本降得更多，现在每个月能存下的钱反而比在北京多。", "最大的不习惯是行业机会少，想换工作的时候选择很有限。"]),
        ("理性派", ["先别急着做决定。把你在老家能找到的工作、收入和房价列出来，和现在的情况对比一下，用数字说话。"]),
        ("深漂十年", ["留下来不一定是为了买房，见识和人脉也是资产。", "如果你的行业只在大城市有，那就再坚持几年，给自己定一个明确的期限。"]),
    ]
    body = ['<div class="AppHeader"><div class="AppHeader-inner"><a href="/" aria-label="知乎"><svg></svg></a><nav class="AppHeader-nav">' + links([("", "首页"), ("explore", "发现"), ("question/waiting", "等你来答")], "AppHeader-Tabs") + '</nav>'
            '<div class="SearchBar"><form><input type="text" placeholder="搜索你感兴趣的内容"></form></div><div class="AppHeader-userInfo"><button class="Button">登录/注册</button></div></div></div>',
            f'<main role="main" class="App-main"><div class="QuestionPage"><div class="QuestionHeader"><div class="QuestionHeader-content"><div class="QuestionHeader-main"><div class="QuestionHeader-topics">' +
            "".join(f'<div class="Tag QuestionTopic"><a class="TopicLink" href="/topic/{i}">{t}</a></div>' for i, t in enumerate(["职业规划", "生活", "城市"])) +
            f'</div><h1 class="QuestionHeader-title">{e(q)}</h1><div class="QuestionHeader-detail"><div class="QuestionRichText"><span class="RichText ztext">{"".join(p(t) for t in detail)}</span></div></div></div>'
            '<div class="QuestionHeader-side"><div class="NumberBoard QuestionFollowStatus-counts"><div class="NumberBoard-item">关注者 <strong class="NumberBoard-itemValue">1,204</strong></div><div class="NumberBoard-item">被浏览 <strong class="NumberBoard-itemValue">892,113</strong></div></div></div></div>'
            '<div class="QuestionHeader-footer"><button class="Button FollowButton">关注问题</button><button class="Button">写回答</button><button class="Button">邀请回答</button><button class="Button">好问题 12</button><button class="Button">分享</button></div></div>',
            '<div class="Question-main"><div class="ListShortcut"><div class="Question-mainColumn"><div class="Card AnswersNavWrapper"><div class="List"><div class="List-header"><h4 class="List-headerText"><span>316 个回答</span></h4><div class="List-headerOptions">默认排序</div></div>']
    expected = list(detail)
    for k, (user, paras) in enumerate(answers):
        expected += paras
        body.append(f'<div class="List-item" tabindex="0"><div class="ContentItem AnswerItem" data-zop=\'{{"authorName":"{user}","type":"answer"}}\'><div class="ContentItem-meta"><div class="AuthorInfo AnswerItem-authorInfo">'
                    f'<span class="UserLink AuthorInfo-avatarWrapper"><a class="UserLink-link" href="//www.zhihu.com/people/u{k}"><img class="Avatar AuthorInfo-avatar" width="38" height="38" src="/v2-{k}.jpg" alt="{user}"></a></span>'
                    f'<div class="AuthorInfo-content"><div class="AuthorInfo-head"><span class="UserLink AuthorInfo-name"><a class="UserLink-link" href="//www.zhihu.com/people/u{k}">{user}</a></span></div><div class="AuthorInfo-detail"><div class="AuthorInfo-badgeText">互联网从业者</div></div></div></div>'
                    f'<div class="AnswerItem-extraInfo"><span class="Voters"><button class="Button">{1200 - k*300} 人赞同了该回答</button></span></div></div>'
                    f'<div class="RichContent RichContent--unescapable"><div class="RichContent-inner"><span class="RichText ztext CopyrightRichText-richText" itemprop="text">{"".join(p(t) for t in paras)}</span></div>'
                    f'<div class="ContentItem-time"><a href="/question/1/answer/{k}"><span data-tooltip="发布于 2022-05-0{k+1}">编辑于 2022-05-0{k+1} 10:2{k}</span></a></div>'
                    f'<div class="ContentItem-actions"><span><button class="Button VoteButton VoteButton--up">赞同 {1200 - k*300}</button></span><button class="Button ContentItem-action">{40+k} 条评论</button><button class="Button ContentItem-action">分享</button><button class="Button ContentItem-action">收藏</button><button class="Button ContentItem-action">喜欢</button></div></div></div></div>')
    body.append('</div></div></div><div class="Question-sideColumn"><div class="Card"><div class="Card-header"><div class="Card-headerText">相关问题</div></div><div class="Card-section">' +
                "".join(f'<div class="SimilarQuestions-item"><a class="Button" href="/question/{500+i}">{t}</a> {20+i} 个回答</div>' for i, t in enumerate(["三十岁回老家是失败吗？", "在大城市漂泊的意义是什么？", "二线城市的生活质量真的更高吗？"])) +
                '</div></div><footer class="Footer"><a class="Footer-item" href="/term">知乎指南</a><span class="Footer-dot"></span><a class="Footer-item" href="/terms">知乎协议</a><span class="Footer-dot"></span><a class="Footer-item" href="/privacy">知乎隐私保护指引</a><br><span class="Footer-item">京 ICP 证 110745 号</span></footer></div></div></div></main>')
    return page(q + " - 知乎", "\n".join(body), "zh-CN"), expected

def reddit_thread():
    op = ["I have been making sourdough for a year and my loaves always spread flat in the oven, even though the dough passes the poke test. I use 75 percent hydration with bread flour.", "What am I missing?"]
    comments = [
        (0, "Sounds like under-shaping. Build more surface tension during the final shape, drag the dough towards you on an unfloured counter."),
        (1, "This. Also try a 30 minute rest between preshape and final shape."),
        (0, "75 percent is high for bread flour that is not very strong. Drop to 70 and see if it holds."),
        (1, "Agreed, start lower and work up."),
        (2, "Thanks, will try 70 this weekend."),
        (0, "Cold retard overnight in the fridge. Cold dough holds its shape much better when you score it."),
        (0, "lol same problem here"),
    ]
    body = ['<div id="header" role="banner"><a href="#content" id="jumpToContent">jump to content</a><div id="sr-header-area"><div class="sr-list">' + nav(["popular", "all", "random", "users", "AskReddit", "pics", "news", "worldnews"], "flat-list sr-bar hover") + '</div></div>'
            '<div id="header-bottom-left"><a href="/" id="header-img" class="default-header">reddit.com</a><span class="hover pagename redditname"><a href="/r/Sourdough/">Sourdough</a></span><ul class="tabmenu"><li class="selected"><a href="/r/Sourdough/comments/abc/" class="choice">comments</a></li><li><a href="/r/Sourdough/about/" class="choice">other discussions (1)</a></li></ul></div></div>',
            '<div class="side"><div class="spacer"><form action="/search" id="search" role="search"><input type="text" name="q" placeholder="search"></form></div><div class="spacer"><div class="titlebox"><h1 class="hover redditname"><a href="/r/Sourdough/">Sourdough</a></h1>'
            '<div class="usertext-body"><div class="md"><p>A community for bakers of naturally leavened bread. Post your crumb shots, ask questions, share recipes.</p><ol><li>Be kind.</li><li>No self-promotion.</li></ol></div></div></div></div></div>',
            '<a name="content"></a><div class="content" role="main"><div class="sitetable linklisting" id="siteTable"><div class="thing id-t3_abc link self" data-author="crumbshot"><div class="midcol unvoted"><div class="arrow up login-required" role="button" aria-label="upvote"></div><div class="score unvoted">214</div><div class="arrow down login-required" role="button" aria-label="downvote"></div></div>'
            '<div class="entry unvoted"><div class="top-matter"><p class="title"><a class="title may-blank" href="/r/Sourdough/comments/abc/why_do_my_loaves_spread_flat/">Why do my loaves spread flat?</a> <span class="domain">(<a href="/r/Sourdough/">self.Sourdough</a>)</span></p>'
            '<p class="tagline">submitted <time>2 years ago</time> by <a href="/user/crumbshot" class="author may-blank">crumbshot</a></p></div>'
            f'<div class="expando"><form class="usertext"><div class="usertext-body may-blank-within md-container"><div class="md">{"".join(p(t) for t in op)}</div></div></form></div>'
            '<ul class="flat-list buttons"><li class="first"><a href="/r/Sourdough/comments/abc/" class="bylink comments may-blank">43 comments</a></li><li class="share"><a class="post-sharing-button" href="#">share</a></li><li><a href="#">save</a></li><li><a href="#">report</a></li></ul></div></div></div>',
            '<div class="commentarea"><div class="panestack-title"><span class="title">all 43 comments</span></div><div class="menuarea"><div class="dropdown lightdrop"><span class="selected">sorted by: best</span></div></div><div class="sitetable nestedlisting" id="siteTable_t3_abc">']
    expected = list(op)
    depth_prev = -1
    out = []
    for k, (depth, text) in enumerate(comments):
        expected.append(text)
        while depth_prev >= depth:
            out.append('</div></div></div>')
            depth_prev -= 1
        out.append(f'<div class="thing id-t1_c{k} noncollapsed comment" data-author="baker{k}"><div class="midcol unvoted"><div class="arrow up login-required" role="button" aria-label="upvote"></div></div>'
                   f'<div class="entry unvoted"><p class="tagline"><a href="/user/baker{k}" class="author may-blank">baker{k}</a><span class="score unvoted">{30-k*3} points</span> <time>2 years ago</time></p>'
                   f'<form class="usertext"><div class="usertext-body may-blank-within md-container"><div class="md">{p(text)}</div></div></form>'
                   f'<ul class="flat-list buttons"><li class="first"><a href="/r/Sourdough/comments/abc/_/c{k}/" class="bylink">permalink</a></li><li><a href="#">embed</a></li><li><a href="#">save</a></li><li><a href="#">report</a></li><li><a href="#">reply</a></li></ul></div>'
                   f'<div class="child"><div class="sitetable listing">')
        depth_prev = depth
    while depth_prev >= 0:
        out.append('</div></div></div>')
        depth_prev -= 1
    body += out
    body.append('</div></div></div><div class="footer-parent"><div class="footer rounded"><div class="col"><ul class="flat-vert hover"><li class="flat-vert title">about</li><li><a href="/blog/">blog</a></li><li><a href="/about/">about</a></li><li><a href="/advertising">advertising</a></li><li><a href="/careers">careers</a></li></ul></div>'
                '<div class="col"><ul class="flat-vert hover"><li class="flat-vert title">help</li><li><a href="/wiki/">site rules</a></li><li><a href="/help/">Reddit help center</a></li><li><a href="/wiki/reddiquette">reddiquette</a></li></ul></div></div>'
                '<p class="bottommenu">Use of this site constitutes acceptance of our User Agreement and Privacy Policy. &copy; 2022 reddit inc. All rights reserved.</p></div>')
    return page("Why do my loaves spread flat? : Sourdough", "\n".join(body)), expected

PAGES.update({"forum_phpbb": ("forum", phpbb), "forum_vbulletin": ("forum", vbulletin), "forum_discuz_zh": ("forum", discuz_zh),
              "forum_discourse": ("forum", discourse), "forum_reddit_old": ("forum", reddit_thread),
              "qa_stackexchange": ("qa", stackexchange), "qa_zhihu": ("qa", zhihu)})
