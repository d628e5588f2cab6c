//! Passive replies: the XML answered in the body of the callback response, within WeChat's
//! five seconds. Written by the hub, parsed by the sandbox.

use serde::{Deserialize, Serialize};

use crate::xml::{parse_document, Fields, XmlError, XmlWriter};

/// The most articles one news reply may carry.
pub const MAX_NEWS_ARTICLES: usize = 8;

/// A passive reply. `to_user_name` is the user's openid, `from_user_name` the account's
/// original id: the inbound message's two names swapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyMessage {
    pub to_user_name: String,
    pub from_user_name: String,
    pub create_time: i64,
    #[serde(flatten)]
    pub body: Reply,
}

/// What the reply says, tagged by `MsgType`. Optional texts (a video's title, a music
/// description) are empty strings when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msg_type", rename_all = "snake_case")]
pub enum Reply {
    Text {
        content: String,
    },
    Image {
        media_id: String,
    },
    Voice {
        media_id: String,
    },
    Video {
        media_id: String,
        title: String,
        description: String,
    },
    Music {
        title: String,
        description: String,
        music_url: String,
        hq_music_url: String,
        thumb_media_id: String,
    },
    News(NewsArticles),
}

/// One to [`MAX_NEWS_ARTICLES`] articles; the constructor enforces the bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NewsArticlesRepr", into = "NewsArticlesRepr")]
pub struct NewsArticles(Vec<Article>);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    pub description: String,
    pub pic_url: String,
    pub url: String,
}

/// Why news articles were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a news reply holds 1 to {MAX_NEWS_ARTICLES} articles, got {0}")]
pub struct ArticleCountError(pub usize);

impl NewsArticles {
    pub fn new(articles: Vec<Article>) -> Result<Self, ArticleCountError> {
        if (1..=MAX_NEWS_ARTICLES).contains(&articles.len()) {
            Ok(Self(articles))
        } else {
            Err(ArticleCountError(articles.len()))
        }
    }

    pub fn articles(&self) -> &[Article] {
        &self.0
    }

    pub fn into_articles(self) -> Vec<Article> {
        self.0
    }
}

#[derive(Serialize, Deserialize)]
struct NewsArticlesRepr {
    articles: Vec<Article>,
}

impl TryFrom<NewsArticlesRepr> for NewsArticles {
    type Error = ArticleCountError;
    fn try_from(repr: NewsArticlesRepr) -> Result<Self, Self::Error> {
        Self::new(repr.articles)
    }
}

impl From<NewsArticles> for NewsArticlesRepr {
    fn from(news: NewsArticles) -> Self {
        Self { articles: news.0 }
    }
}

impl ReplyMessage {
    /// A reply to `inbound`: names swapped, as WeChat expects.
    pub fn to(inbound: &crate::inbound::InboundMessage, create_time: i64, body: Reply) -> Self {
        Self {
            to_user_name: inbound.from_user_name.clone(),
            from_user_name: inbound.to_user_name.clone(),
            create_time,
            body,
        }
    }

    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.cdata("ToUserName", &self.to_user_name);
        w.cdata("FromUserName", &self.from_user_name);
        w.bare("CreateTime", self.create_time);
        w.cdata("MsgType", self.body.msg_type());
        self.body.write(&mut w);
        w.finish()
    }

    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        let f = Fields::new(&root);
        let msg_type = f.req_str("MsgType")?;
        Ok(Self {
            to_user_name: f.req_str("ToUserName")?,
            from_user_name: f.req_str("FromUserName")?,
            create_time: f.req_parse("CreateTime")?,
            body: Reply::read(&msg_type, f)?,
        })
    }
}

impl Reply {
    pub fn msg_type(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Voice { .. } => "voice",
            Self::Video { .. } => "video",
            Self::Music { .. } => "music",
            Self::News(_) => "news",
        }
    }

    fn read(msg_type: &str, f: Fields<'_>) -> Result<Self, XmlError> {
        let section = |name: &'static str| f.child(name).ok_or(XmlError::MissingField(name));
        Ok(match msg_type {
            "text" => Self::Text {
                content: f.req_str("Content")?,
            },
            "image" => Self::Image {
                media_id: section("Image")?.req_str("MediaId")?,
            },
            "voice" => Self::Voice {
                media_id: section("Voice")?.req_str("MediaId")?,
            },
            "video" => {
                let video = section("Video")?;
                Self::Video {
                    media_id: video.req_str("MediaId")?,
                    title: video.str_or_empty("Title"),
                    description: video.str_or_empty("Description"),
                }
            }
            "music" => {
                let music = section("Music")?;
                Self::Music {
                    title: music.str_or_empty("Title"),
                    description: music.str_or_empty("Description"),
                    music_url: music.str_or_empty("MusicUrl"),
                    hq_music_url: music.str_or_empty("HQMusicUrl"),
                    thumb_media_id: music.str_or_empty("ThumbMediaId"),
                }
            }
            "news" => Self::News(read_news(f)?),
            other => {
                return Err(XmlError::invalid(
                    "MsgType",
                    format!(
                        "not a passive reply type: {}",
                        other.chars().take(32).collect::<String>()
                    ),
                ))
            }
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        match self {
            Self::Text { content } => w.cdata("Content", content),
            Self::Image { media_id } => write_media(w, "Image", media_id),
            Self::Voice { media_id } => write_media(w, "Voice", media_id),
            Self::Video {
                media_id,
                title,
                description,
            } => {
                w.open("Video");
                w.cdata("MediaId", media_id);
                w.cdata("Title", title);
                w.cdata("Description", description);
                w.close("Video");
            }
            Self::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                w.open("Music");
                w.cdata("Title", title);
                w.cdata("Description", description);
                w.cdata("MusicUrl", music_url);
                w.cdata("HQMusicUrl", hq_music_url);
                w.cdata("ThumbMediaId", thumb_media_id);
                w.close("Music");
            }
            Self::News(news) => {
                w.bare("ArticleCount", news.0.len());
                w.open("Articles");
                for article in &news.0 {
                    w.open("item");
                    w.cdata("Title", &article.title);
                    w.cdata("Description", &article.description);
                    w.cdata("PicUrl", &article.pic_url);
                    w.cdata("Url", &article.url);
                    w.close("item");
                }
                w.close("Articles");
            }
        }
    }
}

fn write_media(w: &mut XmlWriter, section: &str, media_id: &str) {
    w.open(section);
    w.cdata("MediaId", media_id);
    w.close(section);
}

fn read_news(f: Fields<'_>) -> Result<NewsArticles, XmlError> {
    let items = f
        .child("Articles")
        .ok_or(XmlError::MissingField("Articles"))?;
    let articles: Vec<Article> = items
        .element()
        .children
        .iter()
        .filter(|item| item.name == "item")
        .map(|item| {
            let item = Fields::new(item);
            Article {
                title: item.str_or_empty("Title"),
                description: item.str_or_empty("Description"),
                pic_url: item.str_or_empty("PicUrl"),
                url: item.str_or_empty("Url"),
            }
        })
        .collect();
    if let Some(count) = f.opt_parse::<usize>("ArticleCount")? {
        if count != articles.len() {
            return Err(XmlError::invalid(
                "ArticleCount",
                format!("says {count}, but {} articles follow", articles.len()),
            ));
        }
    }
    NewsArticles::new(articles).map_err(|e| XmlError::invalid("Articles", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reply(body: Reply) -> ReplyMessage {
        ReplyMessage {
            to_user_name: "toUser".into(),
            from_user_name: "fromUser".into(),
            create_time: 12345678,
            body,
        }
    }

    fn article(n: usize) -> Article {
        Article {
            title: format!("title{n}"),
            description: format!("description{n}"),
            pic_url: "picurl".into(),
            url: "url".into(),
        }
    }

    /// Each reply example of seed 004 (被动回复用户消息), with its layout whitespace.
    #[test]
    fn parses_every_seed_reply_example() {
        let cases = [
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n    <CreateTime>12345678</CreateTime>\n    <MsgType><![CDATA[text]]></MsgType>\n    <Content><![CDATA[你好]]></Content>\n</xml>",
                Reply::Text { content: "你好".into() },
            ),
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>12345678</CreateTime>\n\t<MsgType><![CDATA[image]]></MsgType>\n\t<Image>\n\t\t<MediaId><![CDATA[media_id]]></MediaId>\n\t</Image>\n</xml>",
                Reply::Image { media_id: "media_id".into() },
            ),
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>12345678</CreateTime>\n\t<MsgType><![CDATA[voice]]></MsgType>\n\t<Voice>\n\t\t<MediaId><![CDATA[media_id]]></MediaId>\n\t</Voice>\n</xml>",
                Reply::Voice { media_id: "media_id".into() },
            ),
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>12345678</CreateTime>\n\t<MsgType><![CDATA[video]]></MsgType>\n\t<Video>\n\t\t<MediaId><![CDATA[media_id]]></MediaId>\n\t\t<Title><![CDATA[title]]></Title>\n\t\t<Description><![CDATA[description]]></Description>\n\t</Video>\n</xml>",
                Reply::Video { media_id: "media_id".into(), title: "title".into(), description: "description".into() },
            ),
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>12345678</CreateTime>\n\t<MsgType><![CDATA[music]]></MsgType>\n\t<Music>\n\t\t<Title><![CDATA[TITLE]]></Title>\n\t\t<Description><![CDATA[DESCRIPTION]]></Description>\n\t\t<MusicUrl><![CDATA[MUSIC_Url]]></MusicUrl>\n\t\t<HQMusicUrl><![CDATA[HQ_MUSIC_Url]]></HQMusicUrl>\n\t\t<ThumbMediaId><![CDATA[media_id]]></ThumbMediaId>\n\t</Music>\n</xml>",
                Reply::Music { title: "TITLE".into(), description: "DESCRIPTION".into(), music_url: "MUSIC_Url".into(), hq_music_url: "HQ_MUSIC_Url".into(), thumb_media_id: "media_id".into() },
            ),
            (
                "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>12345678</CreateTime>\n\t<MsgType><![CDATA[news]]></MsgType>\n\t<ArticleCount>2</ArticleCount>\n\t<Articles>\n\t\t<item>\n\t\t\t<Title><![CDATA[title1]]></Title>\n\t\t\t<Description><![CDATA[description1]]></Description>\n\t\t\t<PicUrl><![CDATA[picurl]]></PicUrl>\n\t\t\t<Url><![CDATA[url]]></Url>\n\t\t</item>\n\t\t<item>\n\t\t\t<Title><![CDATA[title]]></Title>\n\t\t\t<Description><![CDATA[description]]></Description>\n\t\t\t<PicUrl><![CDATA[picurl]]></PicUrl>\n\t\t\t<Url><![CDATA[url]]></Url>\n\t\t</item>\n\t</Articles>\n</xml>",
                Reply::News(NewsArticles::new(vec![article(1), Article { title: "title".into(), description: "description".into(), pic_url: "picurl".into(), url: "url".into() }]).unwrap()),
            ),
        ];
        for (xml, body) in cases {
            let parsed = ReplyMessage::parse(xml).unwrap();
            assert_eq!(parsed, reply(body), "{xml}");
            assert_eq!(ReplyMessage::parse(&parsed.to_xml()).unwrap(), parsed);
        }
    }

    #[test]
    fn news_holds_one_to_eight_articles() {
        assert_eq!(NewsArticles::new(vec![]), Err(ArticleCountError(0)));
        assert!(NewsArticles::new((0..8).map(article).collect()).is_ok());
        assert_eq!(
            NewsArticles::new((0..9).map(article).collect()),
            Err(ArticleCountError(9))
        );
    }

    #[test]
    fn news_with_a_wrong_or_excessive_count_is_refused() {
        let eight = reply(Reply::News(
            NewsArticles::new((0..8).map(article).collect()).unwrap(),
        ))
        .to_xml();
        let nine = eight.replace(
            "<ArticleCount>8</ArticleCount>",
            "<ArticleCount>9</ArticleCount>",
        );
        assert!(matches!(
            ReplyMessage::parse(&nine),
            Err(XmlError::InvalidField {
                field: "ArticleCount",
                ..
            })
        ));
        let item = "<item><Title><![CDATA[x]]></Title></item>";
        let nine_items = nine.replace("<Articles>", &format!("<Articles>{item}"));
        assert!(matches!(
            ReplyMessage::parse(&nine_items),
            Err(XmlError::InvalidField {
                field: "Articles",
                ..
            })
        ));
        let none = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>news</MsgType><ArticleCount>0</ArticleCount><Articles></Articles></xml>";
        assert!(matches!(
            ReplyMessage::parse(none),
            Err(XmlError::InvalidField {
                field: "Articles",
                ..
            })
        ));
    }

    #[test]
    fn text_containing_cdata_terminator_round_trips() {
        let message = reply(Reply::Text {
            content: "a]]>b<![CDATA[c]]>".into(),
        });
        let xml = message.to_xml();
        assert!(xml.contains("]]]]><![CDATA[>"));
        assert_eq!(ReplyMessage::parse(&xml).unwrap(), message);
    }

    #[test]
    fn unknown_or_incomplete_replies_are_refused() {
        let base = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>";
        assert!(matches!(
            ReplyMessage::parse(&format!("{base}<MsgType>event</MsgType></xml>")),
            Err(XmlError::InvalidField {
                field: "MsgType",
                ..
            })
        ));
        assert_eq!(
            ReplyMessage::parse(&format!("{base}<MsgType>image</MsgType></xml>")),
            Err(XmlError::MissingField("Image"))
        );
        assert_eq!(
            ReplyMessage::parse(&format!("{base}<MsgType>text</MsgType></xml>")),
            Err(XmlError::MissingField("Content"))
        );
        assert!(matches!(ReplyMessage::parse("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>x</CreateTime><MsgType>text</MsgType><Content>c</Content></xml>"), Err(XmlError::InvalidField { field: "CreateTime", .. })));
    }

    #[test]
    fn json_form_is_snake_case_and_reads_back() {
        let message = reply(Reply::News(NewsArticles::new(vec![article(1)]).unwrap()));
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["msg_type"], "news");
        assert_eq!(json["articles"][0]["pic_url"], "picurl");
        let back: ReplyMessage = serde_json::from_value(json).unwrap();
        assert_eq!(back, message);
        let empty = serde_json::json!({"to_user_name":"a","from_user_name":"b","create_time":1,"msg_type":"news","articles":[]});
        assert!(serde_json::from_value::<ReplyMessage>(empty).is_err());
    }

    fn arb_article() -> impl Strategy<Value = Article> {
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>(),
        )
            .prop_map(|(title, description, pic_url, url)| Article {
                title,
                description,
                pic_url,
                url,
            })
    }

    fn arb_reply() -> impl Strategy<Value = Reply> {
        prop_oneof![
            any::<String>().prop_map(|content| Reply::Text { content }),
            any::<String>().prop_map(|media_id| Reply::Image { media_id }),
            any::<String>().prop_map(|media_id| Reply::Voice { media_id }),
            (any::<String>(), any::<String>(), any::<String>()).prop_map(
                |(media_id, title, description)| Reply::Video {
                    media_id,
                    title,
                    description
                }
            ),
            (
                any::<String>(),
                any::<String>(),
                any::<String>(),
                any::<String>(),
                any::<String>()
            )
                .prop_map(
                    |(title, description, music_url, hq_music_url, thumb_media_id)| Reply::Music {
                        title,
                        description,
                        music_url,
                        hq_music_url,
                        thumb_media_id
                    }
                ),
            proptest::collection::vec(arb_article(), 1..=8)
                .prop_map(|a| Reply::News(NewsArticles::new(a).unwrap())),
        ]
    }

    proptest! {
        #[test]
        fn every_reply_round_trips(to in any::<String>(), from in any::<String>(), create_time in any::<i64>(), body in arb_reply()) {
            let message = ReplyMessage { to_user_name: to, from_user_name: from, create_time, body };
            prop_assert_eq!(ReplyMessage::parse(&message.to_xml()).unwrap(), message);
        }
    }
}
