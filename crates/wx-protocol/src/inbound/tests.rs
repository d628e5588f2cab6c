//! Every message and event of seed 004 (and WeCom's directory and app events) parsed from
//! real-shaped XML, then round-tripped; round-trip properties; hostile input.

use proptest::prelude::*;

use super::*;
use crate::qrscene::{DecodedScene, QrEventKey};

fn header(xml_body: &str, msg_type: &str) -> String {
    format!(
        "<xml>\n\t<ToUserName><![CDATA[toUser]]></ToUserName>\n\t<FromUserName><![CDATA[fromUser]]></FromUserName>\n\t<CreateTime>1348831860</CreateTime>\n\t<MsgType><![CDATA[{msg_type}]]></MsgType>\n{xml_body}</xml>"
    )
}

fn message(body: InboundBody) -> InboundMessage {
    InboundMessage {
        to_user_name: "toUser".into(),
        from_user_name: "fromUser".into(),
        create_time: 1348831860,
        agent_id: None,
        body,
    }
}

/// Parses `xml`, checks it equals `expected`, and that `to_xml` round-trips.
fn check(xml: &str, expected: &InboundMessage) {
    let parsed = InboundMessage::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(&parsed, expected, "{xml}");
    let again = InboundMessage::parse(&parsed.to_xml()).unwrap();
    assert_eq!(again, parsed);
    // The normalised JSON form reads back too.
    let json = serde_json::to_string(&parsed).unwrap();
    let back: InboundMessage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, parsed, "{json}");
}

const MSG_ID: MsgId = MsgId(1234567890123456);

#[test]
fn text_message() {
    let xml = header(
        "\t<Content><![CDATA[this is a test]]></Content>\n\t<MsgId>1234567890123456</MsgId>\n",
        "text",
    );
    let expected = message(InboundBody::Text {
        content: "this is a test".into(),
        msg_id: MSG_ID,
    });
    check(&xml, &expected);
    let parsed = InboundMessage::parse(&xml).unwrap();
    assert_eq!(parsed.msg_type(), "text");
    assert_eq!(parsed.event_name(), None);
    assert_eq!(parsed.msg_id(), Some(MSG_ID));
}

#[test]
fn image_message() {
    let xml = header("\t<PicUrl><![CDATA[this is a url]]></PicUrl>\n\t<MediaId><![CDATA[media_id]]></MediaId>\n\t<MsgId>1234567890123456</MsgId>\n", "image");
    check(
        &xml,
        &message(InboundBody::Image {
            pic_url: "this is a url".into(),
            media_id: "media_id".into(),
            msg_id: MSG_ID,
        }),
    );
}

#[test]
fn voice_message_with_and_without_recognition() {
    let with = header("\t<MediaId><![CDATA[media_id]]></MediaId>\n\t<Format><![CDATA[Format]]></Format>\n\t<MsgId>1234567890123456</MsgId>\n\t<Recognition><![CDATA[腾讯微信团队]]></Recognition>\n", "voice");
    check(
        &with,
        &message(InboundBody::Voice {
            media_id: "media_id".into(),
            format: "Format".into(),
            recognition: Some("腾讯微信团队".into()),
            msg_id: MSG_ID,
        }),
    );
    let without = header("\t<MediaId><![CDATA[media_id]]></MediaId>\n\t<Format><![CDATA[amr]]></Format>\n\t<MsgId>1234567890123456</MsgId>\n", "voice");
    check(
        &without,
        &message(InboundBody::Voice {
            media_id: "media_id".into(),
            format: "amr".into(),
            recognition: None,
            msg_id: MSG_ID,
        }),
    );
}

#[test]
fn video_and_shortvideo_messages() {
    let body = "\t<MediaId><![CDATA[media_id]]></MediaId>\n\t<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>\n\t<MsgId>1234567890123456</MsgId>";
    check(
        &header(body, "video"),
        &message(InboundBody::Video {
            media_id: "media_id".into(),
            thumb_media_id: "thumb_media_id".into(),
            msg_id: MSG_ID,
        }),
    );
    check(
        &header(body, "shortvideo"),
        &message(InboundBody::ShortVideo {
            media_id: "media_id".into(),
            thumb_media_id: "thumb_media_id".into(),
            msg_id: MSG_ID,
        }),
    );
}

#[test]
fn location_message() {
    let xml = header("\t<Location_X>23.134521</Location_X>\n\t<Location_Y>113.358803</Location_Y>\n\t<Scale>20</Scale>\n\t<Label><![CDATA[位置信息]]></Label>\n\t<MsgId>1234567890123456</MsgId>\n", "location");
    check(
        &xml,
        &message(InboundBody::Location {
            location_x: 23.134521,
            location_y: 113.358803,
            scale: 20.0,
            label: "位置信息".into(),
            msg_id: MSG_ID,
        }),
    );
}

#[test]
fn link_message() {
    let xml = header("\t<Title><![CDATA[公众平台官网链接]]></Title>\n\t<Description><![CDATA[公众平台官网链接]]></Description>\n\t<Url><![CDATA[url]]></Url>\n\t<MsgId>1234567890123456</MsgId>\n", "link");
    check(
        &xml,
        &message(InboundBody::Link {
            title: "公众平台官网链接".into(),
            description: "公众平台官网链接".into(),
            url: "url".into(),
            msg_id: MSG_ID,
        }),
    );
}

fn event_xml(body: &str) -> String {
    header(body, "event")
}

fn event(event: Event) -> InboundMessage {
    message(InboundBody::Event(event))
}

#[test]
fn plain_subscribe_and_unsubscribe() {
    let plain = event_xml("\t<Event><![CDATA[subscribe]]></Event>\n");
    check(
        &plain,
        &event(Event::Subscribe {
            scene: None,
            ticket: None,
        }),
    );
    // WeChat also sends an empty EventKey on a plain follow.
    let empty_key =
        event_xml("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>");
    let parsed = InboundMessage::parse(&empty_key).unwrap();
    assert_eq!(
        parsed.event().unwrap().scan_info().unwrap(),
        ScanInfo {
            trigger: ScanTrigger::Subscribe,
            scancode: "0".into(),
            scene: DecodedScene::plain_follow()
        }
    );
    check(
        &event_xml("\t<Event><![CDATA[unsubscribe]]></Event>\n"),
        &event(Event::Unsubscribe),
    );
    assert_eq!(parsed.event_name(), Some("subscribe"));
}

#[test]
fn subscribe_through_a_qr_code() {
    let xml = event_xml("\t<Event><![CDATA[subscribe]]></Event>\n\t<EventKey><![CDATA[qrscene_123123]]></EventKey>\n\t<Ticket><![CDATA[TICKET]]></Ticket>\n");
    let expected = event(Event::Subscribe {
        scene: Some(QrEventKey::from_raw("qrscene_123123")),
        ticket: Some("TICKET".into()),
    });
    check(&xml, &expected);
    let info = expected.event().unwrap().scan_info().unwrap();
    assert_eq!(info.trigger, ScanTrigger::Subscribe);
    assert_eq!(info.scancode, "123123");
    assert_eq!(
        info.scene,
        DecodedScene {
            source: 0,
            value: "123123".into()
        }
    );

    // A caller's temporary code: source 3, value 42.
    let id = crate::qrscene::encode_numeric_scene(
        crate::qrscene::QrSource::new(3).unwrap(),
        crate::qrscene::SceneValue::new(42).unwrap(),
    );
    let xml = event_xml(&format!("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_{id}]]></EventKey><Ticket><![CDATA[T]]></Ticket>"));
    let info = InboundMessage::parse(&xml)
        .unwrap()
        .event()
        .unwrap()
        .scan_info()
        .unwrap();
    assert_eq!(
        info.scene,
        DecodedScene {
            source: 3,
            value: "42".into()
        }
    );
    assert_eq!(info.scancode, id.to_string());
}

#[test]
fn scan_event() {
    let xml = event_xml("\t<Event><![CDATA[SCAN]]></Event>\n\t<EventKey><![CDATA[SCENE_VALUE]]></EventKey>\n\t<Ticket><![CDATA[TICKET]]></Ticket>\n");
    let expected = event(Event::Scan {
        event_key: "SCENE_VALUE".into(),
        ticket: "TICKET".into(),
    });
    check(&xml, &expected);
    let info = expected.event().unwrap().scan_info().unwrap();
    assert_eq!(info.trigger, ScanTrigger::Scan);
    assert_eq!(info.scancode, "SCENE_VALUE");
    assert_eq!(expected.event_name(), Some("SCAN"));
}

#[test]
fn location_event() {
    let xml = event_xml("\t<Event><![CDATA[LOCATION]]></Event>\n\t<Latitude>23.137466</Latitude>\n\t<Longitude>113.352425</Longitude>\n\t<Precision>119.385040</Precision>\n");
    check(
        &xml,
        &event(Event::Location {
            latitude: 23.137466,
            longitude: 113.352425,
            precision: 119.38504,
        }),
    );
}

#[test]
fn click_and_view_events() {
    check(
        &event_xml("<Event><![CDATA[CLICK]]></Event>\n<EventKey><![CDATA[EVENTKEY]]></EventKey>\n"),
        &event(Event::Click {
            event_key: "EVENTKEY".into(),
        }),
    );
    check(
        &event_xml("<Event><![CDATA[VIEW]]></Event>\n<EventKey><![CDATA[www.qq.com]]></EventKey>\n<MenuId>MENUID</MenuId>\n"),
        &event(Event::View {
            event_key: "www.qq.com".into(),
            menu_id: Some("MENUID".into()),
        }),
    );
    check(
        &event_xml("<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[www.qq.com]]></EventKey>"),
        &event(Event::View {
            event_key: "www.qq.com".into(),
            menu_id: None,
        }),
    );
}

/// The seed's menu events use a different account and user; keep them verbatim.
fn seed_menu_event(create_time: i64, body: &str) -> (String, InboundMessage) {
    let xml = format!("<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>\n<FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>\n<CreateTime>{create_time}</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n{body}</xml>");
    let message = InboundMessage {
        to_user_name: "gh_e136c6e50636".into(),
        from_user_name: "oMgHVjngRipVsoxg6TuX3vz6glDg".into(),
        create_time,
        agent_id: None,
        body: InboundBody::Text {
            content: String::new(),
            msg_id: MsgId(0),
        },
    };
    (xml, message)
}

#[test]
fn scancode_events() {
    for (name, result, time) in [
        ("scancode_push", "1", 1408090502),
        ("scancode_waitmsg", "2", 1408090606),
    ] {
        let (xml, mut expected) = seed_menu_event(
            time,
            &format!("<Event><![CDATA[{name}]]></Event>\n<EventKey><![CDATA[6]]></EventKey>\n<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>\n<ScanResult><![CDATA[{result}]]></ScanResult>\n</ScanCodeInfo>\n"),
        );
        let info = ScanCodeInfo {
            scan_type: "qrcode".into(),
            scan_result: result.into(),
        };
        let ev = if name == "scancode_push" {
            Event::ScancodePush {
                event_key: "6".into(),
                scan_code_info: info,
            }
        } else {
            Event::ScancodeWaitmsg {
                event_key: "6".into(),
                scan_code_info: info,
            }
        };
        expected.body = InboundBody::Event(ev);
        check(&xml, &expected);
        assert_eq!(expected.event_name(), Some(name));
    }
}

#[test]
fn picture_events() {
    for (name, sum, time) in [
        (
            "pic_sysphoto",
            "1b5f7c23b5bf75682a53e7b6d163e185",
            1408090651,
        ),
        (
            "pic_photo_or_album",
            "5a75aaca956d97be686719218f275c6b",
            1408090816,
        ),
        ("pic_weixin", "5a75aaca956d97be686719218f275c6b", 1408090816),
    ] {
        let (xml, mut expected) = seed_menu_event(
            time,
            &format!("<Event><![CDATA[{name}]]></Event>\n<EventKey><![CDATA[6]]></EventKey>\n<SendPicsInfo><Count>1</Count>\n<PicList><item><PicMd5Sum><![CDATA[{sum}]]></PicMd5Sum>\n</item>\n</PicList>\n</SendPicsInfo>\n"),
        );
        let info = SendPicsInfo {
            count: 1,
            pic_md5_sums: vec![sum.into()],
        };
        let event_key = "6".to_owned();
        expected.body = InboundBody::Event(match name {
            "pic_sysphoto" => Event::PicSysphoto {
                event_key,
                send_pics_info: info,
            },
            "pic_photo_or_album" => Event::PicPhotoOrAlbum {
                event_key,
                send_pics_info: info,
            },
            _ => Event::PicWeixin {
                event_key,
                send_pics_info: info,
            },
        });
        check(&xml, &expected);
        assert_eq!(expected.event_name(), Some(name));
        assert_eq!(expected.event().unwrap().event_key(), Some("6"));
    }
}

#[test]
fn location_select_event() {
    let (xml, mut expected) = seed_menu_event(
        1408091189,
        "<Event><![CDATA[location_select]]></Event>\n<EventKey><![CDATA[6]]></EventKey>\n<SendLocationInfo><Location_X><![CDATA[23]]></Location_X>\n<Location_Y><![CDATA[113]]></Location_Y>\n<Scale><![CDATA[15]]></Scale>\n<Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>\n<Poiname><![CDATA[]]></Poiname>\n</SendLocationInfo>\n",
    );
    expected.body = InboundBody::Event(Event::LocationSelect {
        event_key: "6".into(),
        send_location_info: SendLocationInfo {
            location_x: 23.0,
            location_y: 113.0,
            scale: 15.0,
            label: " 广州市海珠区客村艺苑路 106号".into(),
            poiname: String::new(),
        },
    });
    check(&xml, &expected);
}

#[test]
fn template_send_job_finish_events() {
    for (status, msg_id, time) in [
        ("success", 200163836u64, 1395658920),
        ("failed:user block", 200163840, 1395658984),
    ] {
        let xml = format!("<xml>\n\t<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>\n\t<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>\n\t<CreateTime>{time}</CreateTime>\n\t<MsgType><![CDATA[event]]></MsgType>\n\t<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>\n\t<MsgID>{msg_id}</MsgID>\n\t<Status><![CDATA[{status}]]></Status>\n</xml>");
        let expected = InboundMessage {
            to_user_name: "gh_7f083739789a".into(),
            from_user_name: "oia2TjuEGTNoeX76QEjQNrcURxG8".into(),
            create_time: time,
            agent_id: None,
            body: InboundBody::Event(Event::TemplateSendJobFinish {
                msg_id: MsgId(msg_id),
                status: status.into(),
            }),
        };
        check(&xml, &expected);
        assert_eq!(expected.msg_id(), Some(MsgId(msg_id)));
    }
}

#[test]
fn mass_send_job_finish_event() {
    let xml = event_xml("<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1988</MsgID><Status><![CDATA[sendsuccess]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount><CopyrightCheckResult><Count>2</Count><ResultList><item><ArticleIdx>1</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item></ResultList><CheckState>2</CheckState></CopyrightCheckResult><ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><ArticleUrl><![CDATA[]]></ArticleUrl></item></ResultList></ArticleUrlResult>");
    let parsed = InboundMessage::parse(&xml).unwrap();
    let Some(Event::MassSendJobFinish {
        msg_id,
        status,
        total_count,
        filter_count,
        sent_count,
        error_count,
        copyright_check_result,
        article_url_result,
    }) = parsed.event()
    else {
        panic!("{parsed:?}");
    };
    assert_eq!(*msg_id, MsgId(1988));
    assert_eq!(status, "sendsuccess");
    assert_eq!(
        (*total_count, *filter_count, *sent_count, *error_count),
        (100, 80, 75, 5)
    );
    assert_eq!(copyright_check_result.len(), 3);
    assert_eq!(copyright_check_result[2].text, "2");
    assert_eq!(article_url_result[0].text, "1");
    check(&xml, &parsed);
}

fn wecom(xml_body: &str) -> String {
    format!("<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>{xml_body}</xml>")
}

fn wecom_event(change: ContactChange) -> InboundMessage {
    InboundMessage {
        to_user_name: "wwcorp".into(),
        from_user_name: "sys".into(),
        create_time: 1403610513,
        agent_id: None,
        body: InboundBody::Event(Event::ChangeContact(change)),
    }
}

#[test]
fn wecom_create_and_update_user() {
    let create = wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>create_user</ChangeType><UserID><![CDATA[zhangsan]]></UserID><Name><![CDATA[张三]]></Name><Department><![CDATA[1,2,3]]></Department><MainDepartment>1</MainDepartment><IsLeaderInDept><![CDATA[1,0,0]]></IsLeaderInDept><DirectLeader><![CDATA[lisi,wangwu]]></DirectLeader><Position><![CDATA[产品经理]]></Position><Mobile>13800000000</Mobile><Gender>1</Gender><BizMail><![CDATA[zhangsan@corp.example]]></BizMail><Email><![CDATA[zhangsan@example.com]]></Email><Status>1</Status><Avatar><![CDATA[http://wx.qlogo.cn/mmopen/x/0]]></Avatar><Alias><![CDATA[zhangsan]]></Alias><Telephone><![CDATA[020-123456]]></Telephone><Address><![CDATA[广州市]]></Address><ExtAttr><Item><Name><![CDATA[爱好]]></Name><Type>0</Type><Text><Value><![CDATA[旅游]]></Value></Text></Item><Item><Name><![CDATA[卡号]]></Name><Type>1</Type><Web><Title><![CDATA[企业微信]]></Title><Url><![CDATA[https://work.weixin.qq.com]]></Url></Web></Item></ExtAttr>");
    let parsed = InboundMessage::parse(&create).unwrap();
    let Some(Event::ChangeContact(ContactChange::CreateUser(user))) = parsed.event() else {
        panic!("{parsed:?}");
    };
    assert_eq!(user.user_id, "zhangsan");
    assert_eq!(user.name.as_deref(), Some("张三"));
    assert_eq!(user.department, Some(vec![1, 2, 3]));
    assert_eq!(user.main_department, Some(1));
    assert_eq!(user.is_leader_in_dept, Some(vec![1, 0, 0]));
    assert_eq!(
        user.direct_leader,
        Some(vec!["lisi".to_owned(), "wangwu".to_owned()])
    );
    assert_eq!(user.gender, Some(1));
    assert_eq!(user.status, Some(1));
    assert_eq!(user.mobile.as_deref(), Some("13800000000"));
    assert_eq!(user.ext_attr.len(), 2);
    assert_eq!(user.new_user_id, None);
    check(&create, &parsed);

    let update = wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType><UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID><Position><![CDATA[总监]]></Position>");
    check(
        &update,
        &wecom_event(ContactChange::UpdateUser(ContactUser {
            user_id: "zhangsan".into(),
            new_user_id: Some("zhangsan001".into()),
            position: Some("总监".into()),
            ..ContactUser::default()
        })),
    );
}

#[test]
fn wecom_delete_user_and_party_changes() {
    check(
        &wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>delete_user</ChangeType><UserID><![CDATA[zhangsan]]></UserID>"),
        &wecom_event(ContactChange::DeleteUser { user_id: "zhangsan".into() }),
    );
    check(
        &wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>create_party</ChangeType><Id>2</Id><Name><![CDATA[张三]]></Name><ParentId><![CDATA[1]]></ParentId><Order>1</Order>"),
        &wecom_event(ContactChange::CreateParty(Party { id: 2, name: Some("张三".into()), parent_id: Some(1), order: Some(1) })),
    );
    check(
        &wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>update_party</ChangeType><Id>2</Id><Name><![CDATA[张三]]></Name><ParentId><![CDATA[1]]></ParentId>"),
        &wecom_event(ContactChange::UpdateParty(Party { id: 2, name: Some("张三".into()), parent_id: Some(1), order: None })),
    );
    check(
        &wecom("<Event><![CDATA[change_contact]]></Event><ChangeType>delete_party</ChangeType><Id>2</Id>"),
        &wecom_event(ContactChange::DeleteParty { id: 2 }),
    );
}

#[test]
fn wecom_update_tag() {
    check(
        &wecom("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_tag]]></ChangeType><TagId>1</TagId><AddUserItems><![CDATA[zhangsan,lisi]]></AddUserItems><DelUserItems><![CDATA[zhangsan1,lisi1]]></DelUserItems><AddPartyItems><![CDATA[1,2]]></AddPartyItems><DelPartyItems><![CDATA[3,4]]></DelPartyItems>"),
        &wecom_event(ContactChange::UpdateTag(TagChange {
            tag_id: 1,
            add_user_items: vec!["zhangsan".into(), "lisi".into()],
            del_user_items: vec!["zhangsan1".into(), "lisi1".into()],
            add_party_items: vec![1, 2],
            del_party_items: vec![3, 4],
        })),
    );
}

#[test]
fn wecom_unknown_change_type_keeps_its_fields() {
    let xml = wecom(
        "<Event><![CDATA[change_contact]]></Event><ChangeType>merge_party</ChangeType><Id>9</Id>",
    );
    let expected = wecom_event(ContactChange::Other {
        change_type: "merge_party".into(),
        fields: vec![Element::leaf("Id", "9")],
    });
    check(&xml, &expected);
}

#[test]
fn wecom_app_messages_and_events_carry_the_agent_id() {
    let text = "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>";
    let expected = InboundMessage {
        to_user_name: "wwcorp".into(),
        from_user_name: "zhangsan".into(),
        create_time: 1348831860,
        agent_id: Some(1000002),
        body: InboundBody::Text {
            content: "hello".into(),
            msg_id: MSG_ID,
        },
    };
    check(text, &expected);

    let enter = "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1408091189</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>1</AgentID></xml>";
    let parsed = InboundMessage::parse(enter).unwrap();
    assert_eq!(parsed.agent_id, Some(1));
    assert_eq!(
        parsed.event(),
        Some(&Event::EnterAgent {
            event_key: String::new()
        })
    );
    check(enter, &parsed);

    // WeCom spells menu events in lower case.
    let click = "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1408091189</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event><EventKey><![CDATA[#sendmsg#_0_0]]></EventKey><AgentID>1</AgentID></xml>";
    assert_eq!(
        InboundMessage::parse(click).unwrap().event(),
        Some(&Event::Click {
            event_key: "#sendmsg#_0_0".into()
        })
    );

    let batch = "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1425284517</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[batch_job_result]]></Event><BatchJob><JobId><![CDATA[S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4]]></JobId><JobType><![CDATA[sync_user]]></JobType><ErrCode>0</ErrCode><ErrMsg><![CDATA[ok]]></ErrMsg></BatchJob></xml>";
    let parsed = InboundMessage::parse(batch).unwrap();
    assert_eq!(
        parsed.event(),
        Some(&Event::BatchJobResult(BatchJob {
            job_id: "S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4".into(),
            job_type: "sync_user".into(),
            err_code: 0,
            err_msg: "ok".into(),
        }))
    );
    check(batch, &parsed);
}

#[test]
fn unknown_types_and_events_keep_their_fields() {
    let xml = header("<Title><![CDATA[小程序]]></Title><AppId><![CDATA[wx123]]></AppId><Nested><A>1</A></Nested><MsgId>5</MsgId>", "miniprogrampage");
    let expected = message(InboundBody::Other {
        msg_type: "miniprogrampage".into(),
        fields: vec![
            Element::leaf("Title", "小程序"),
            Element::leaf("AppId", "wx123"),
            Element::parent("Nested", vec![Element::leaf("A", "1")]),
            Element::leaf("MsgId", "5"),
        ],
    });
    check(&xml, &expected);
    assert_eq!(expected.msg_type(), "miniprogrampage");

    let xml = event_xml("<Event><![CDATA[view_miniprogram]]></Event><EventKey><![CDATA[pages/index]]></EventKey><MenuId>1</MenuId>");
    let expected = event(Event::Other {
        event: "view_miniprogram".into(),
        fields: vec![
            Element::leaf("EventKey", "pages/index"),
            Element::leaf("MenuId", "1"),
        ],
    });
    check(&xml, &expected);
    assert_eq!(expected.event_name(), Some("view_miniprogram"));
}

#[test]
fn compatible_mode_plaintext_with_encrypt_parses() {
    let xml = header(
        "<Content><![CDATA[hi]]></Content><MsgId>1</MsgId><Encrypt><![CDATA[abc]]></Encrypt>",
        "text",
    );
    assert_eq!(
        InboundMessage::parse(&xml).unwrap().body,
        InboundBody::Text {
            content: "hi".into(),
            msg_id: MsgId(1)
        }
    );
}

#[test]
fn json_form_is_flat_and_snake_case() {
    let m = event(Event::Subscribe {
        scene: Some(QrEventKey::for_scene("123")),
        ticket: Some("T".into()),
    });
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["msg_type"], "event");
    assert_eq!(json["event"], "subscribe");
    assert_eq!(json["scene"], "qrscene_123");
    assert_eq!(json["from_user_name"], "fromUser");
    let text = message(InboundBody::Text {
        content: "x".into(),
        msg_id: MsgId(u64::MAX),
    });
    let json = serde_json::to_value(&text).unwrap();
    assert_eq!(json["msg_id"], u64::MAX.to_string());
    let from_number: InboundMessage = serde_json::from_str(
        r#"{"to_user_name":"a","from_user_name":"b","create_time":1,"msg_type":"text","content":"x","msg_id":7}"#,
    )
    .unwrap();
    assert_eq!(from_number.msg_id(), Some(MsgId(7)));
}

#[test]
fn missing_and_invalid_fields_are_typed_errors() {
    let cases: &[(&str, XmlError)] = &[
        ("<xml><ToUserName>a</ToUserName></xml>", XmlError::MissingField("MsgType")),
        ("<xml><MsgType>text</MsgType><Content>c</Content><MsgId>1</MsgId></xml>", XmlError::MissingField("ToUserName")),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>c</Content><MsgId>1</MsgId></xml>", XmlError::MissingField("CreateTime")),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>c</Content></xml>", XmlError::MissingField("MsgId")),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType></xml>", XmlError::MissingField("Event")),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>scancode_push</Event></xml>", XmlError::MissingField("ScanCodeInfo")),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_contact</Event></xml>", XmlError::MissingField("ChangeType")),
    ];
    for (xml, expected) in cases {
        assert_eq!(&InboundMessage::parse(xml).unwrap_err(), expected, "{xml}");
    }
    let invalid = [
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType><Content>c</Content><MsgId>1</MsgId></xml>", "CreateTime"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>c</Content><MsgId>-1</MsgId></xml>", "MsgId"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>c</Content><MsgId>99999999999999999999999</MsgId></xml>", "MsgId"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>NaN</Location_X><Location_Y>1</Location_Y><Scale>1</Scale><Label>l</Label><MsgId>1</MsgId></xml>", "Location_X"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>1</Location_X><Location_Y>inf</Location_Y><Scale>1</Scale><Label>l</Label><MsgId>1</MsgId></xml>", "Location_Y"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_contact</Event><ChangeType>create_user</ChangeType><UserID>u</UserID><Department>1,x</Department></xml>", "Department"),
        ("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>c</Content><MsgId>1</MsgId><AgentID>-5</AgentID></xml>", "AgentID"),
    ];
    for (xml, field) in invalid {
        match InboundMessage::parse(xml) {
            Err(XmlError::InvalidField { field: f, .. }) => assert_eq!(f, field, "{xml}"),
            other => panic!("{xml}: {other:?}"),
        }
    }
}

#[test]
fn hostile_documents_are_refused_before_mapping() {
    let dtd = "<!DOCTYPE xml [<!ENTITY x \"y\">]><xml><ToUserName>&x;</ToUserName></xml>";
    assert_eq!(InboundMessage::parse(dtd), Err(XmlError::Dtd));
    let truncated = &header("<Content><![CDATA[hi]]></Content><MsgId>1</MsgId>", "text")[..60];
    assert!(matches!(
        InboundMessage::parse(truncated),
        Err(XmlError::Malformed(_))
    ));
    assert!(matches!(
        InboundMessage::parse("\u{0}\u{1}garbage"),
        Err(XmlError::Malformed(_))
    ));
}

// ---- round-trip properties ----

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![-1.0e9..1.0e9f64, Just(0.0), Just(23.134521), Just(-180.0)]
}

fn key_text() -> impl Strategy<Value = String> {
    "[a-z0-9_]{1,10}"
}

fn field_name() -> impl Strategy<Value = String> {
    "X[A-Za-z]{0,8}"
}

fn arb_element() -> impl Strategy<Value = Element> {
    let leaf = (field_name(), any::<String>()).prop_map(|(n, t)| Element::leaf(n, t));
    leaf.prop_recursive(3, 12, 4, |inner| {
        (field_name(), proptest::collection::vec(inner, 1..4))
            .prop_map(|(n, c)| Element::parent(n, c))
    })
}

fn arb_contact() -> impl Strategy<Value = ContactChange> {
    let user = (
        any::<String>(),
        proptest::option::of(any::<String>()),
        proptest::option::of(proptest::collection::vec(any::<u64>(), 0..4)),
        proptest::option::of(any::<u64>()),
        proptest::option::of(proptest::collection::vec(0u8..=1, 0..4)),
        proptest::option::of(proptest::collection::vec(key_text(), 0..3)),
        proptest::option::of(any::<u8>()),
        proptest::option::of(any::<String>()),
        proptest::collection::vec(arb_element(), 0..3),
    )
        .prop_map(
            |(
                user_id,
                name,
                department,
                main_department,
                is_leader_in_dept,
                direct_leader,
                gender,
                address,
                ext_attr,
            )| ContactUser {
                user_id,
                name,
                department,
                main_department,
                is_leader_in_dept,
                direct_leader,
                gender,
                address,
                ext_attr,
                ..ContactUser::default()
            },
        )
        .boxed();
    let party = (
        any::<u64>(),
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(id, name, parent_id, order)| Party {
            id,
            name,
            parent_id,
            order,
        })
        .boxed();
    prop_oneof![
        user.clone().prop_map(ContactChange::CreateUser),
        (user, proptest::option::of(any::<String>())).prop_map(|(mut u, n)| {
            u.new_user_id = n;
            ContactChange::UpdateUser(u)
        }),
        any::<String>().prop_map(|user_id| ContactChange::DeleteUser { user_id }),
        party.clone().prop_map(ContactChange::CreateParty),
        party.prop_map(ContactChange::UpdateParty),
        any::<u64>().prop_map(|id| ContactChange::DeleteParty { id }),
        (
            any::<u64>(),
            proptest::collection::vec(key_text(), 0..3),
            proptest::collection::vec(any::<u64>(), 0..3)
        )
            .prop_map(
                |(tag_id, add_user_items, add_party_items)| ContactChange::UpdateTag(TagChange {
                    tag_id,
                    add_user_items,
                    add_party_items,
                    ..TagChange::default()
                })
            ),
        (
            "x_[a-z]{1,8}",
            proptest::collection::vec(arb_element(), 0..3)
        )
            .prop_map(|(change_type, fields)| ContactChange::Other {
                change_type,
                fields
            }),
    ]
}

fn arb_event() -> impl Strategy<Value = Event> {
    let s = any::<String>;
    prop_oneof![
        (
            proptest::option::of("[^\u{0}]{1,20}"),
            proptest::option::of(s())
        )
            .prop_map(|(scene, ticket)| Event::Subscribe {
                scene: scene.map(QrEventKey::from_raw),
                ticket
            }),
        Just(Event::Unsubscribe),
        (s(), s()).prop_map(|(event_key, ticket)| Event::Scan { event_key, ticket }),
        (finite(), finite(), finite()).prop_map(|(latitude, longitude, precision)| {
            Event::Location {
                latitude,
                longitude,
                precision,
            }
        }),
        s().prop_map(|event_key| Event::Click { event_key }),
        (s(), proptest::option::of(s()))
            .prop_map(|(event_key, menu_id)| Event::View { event_key, menu_id }),
        (s(), s(), s()).prop_map(
            |(event_key, scan_type, scan_result)| Event::ScancodeWaitmsg {
                event_key,
                scan_code_info: ScanCodeInfo {
                    scan_type,
                    scan_result
                }
            }
        ),
        (s(), any::<u32>(), proptest::collection::vec(s(), 0..4)).prop_map(
            |(event_key, count, pic_md5_sums)| Event::PicWeixin {
                event_key,
                send_pics_info: SendPicsInfo {
                    count,
                    pic_md5_sums
                }
            }
        ),
        (s(), finite(), finite(), finite(), s(), s()).prop_map(
            |(event_key, location_x, location_y, scale, label, poiname)| Event::LocationSelect {
                event_key,
                send_location_info: SendLocationInfo {
                    location_x,
                    location_y,
                    scale,
                    label,
                    poiname
                }
            }
        ),
        (any::<u64>(), s()).prop_map(|(id, status)| Event::TemplateSendJobFinish {
            msg_id: MsgId(id),
            status
        }),
        (
            any::<u64>(),
            s(),
            any::<[u64; 4]>(),
            proptest::collection::vec(arb_element(), 0..3)
        )
            .prop_map(|(id, status, counts, copyright_check_result)| {
                Event::MassSendJobFinish {
                    msg_id: MsgId(id),
                    status,
                    total_count: counts[0],
                    filter_count: counts[1],
                    sent_count: counts[2],
                    error_count: counts[3],
                    copyright_check_result,
                    article_url_result: vec![],
                }
            }),
        arb_contact().prop_map(Event::ChangeContact),
        s().prop_map(|event_key| Event::EnterAgent { event_key }),
        (s(), s(), any::<i64>(), s()).prop_map(|(job_id, job_type, err_code, err_msg)| {
            Event::BatchJobResult(BatchJob {
                job_id,
                job_type,
                err_code,
                err_msg,
            })
        }),
        (
            "x_[a-z]{1,8}",
            proptest::collection::vec(arb_element(), 0..4)
        )
            .prop_map(|(event, fields)| Event::Other { event, fields }),
    ]
}

fn arb_body() -> impl Strategy<Value = InboundBody> {
    let s = any::<String>;
    let id = || any::<u64>().prop_map(MsgId);
    prop_oneof![
        (s(), id()).prop_map(|(content, msg_id)| InboundBody::Text { content, msg_id }),
        (s(), s(), id()).prop_map(|(pic_url, media_id, msg_id)| InboundBody::Image {
            pic_url,
            media_id,
            msg_id
        }),
        (s(), s(), proptest::option::of(s()), id()).prop_map(
            |(media_id, format, recognition, msg_id)| InboundBody::Voice {
                media_id,
                format,
                recognition,
                msg_id
            }
        ),
        (s(), s(), id()).prop_map(|(media_id, thumb_media_id, msg_id)| InboundBody::Video {
            media_id,
            thumb_media_id,
            msg_id
        }),
        (s(), s(), id()).prop_map(
            |(media_id, thumb_media_id, msg_id)| InboundBody::ShortVideo {
                media_id,
                thumb_media_id,
                msg_id
            }
        ),
        (finite(), finite(), finite(), s(), id()).prop_map(
            |(location_x, location_y, scale, label, msg_id)| InboundBody::Location {
                location_x,
                location_y,
                scale,
                label,
                msg_id
            }
        ),
        (s(), s(), s(), id()).prop_map(|(title, description, url, msg_id)| InboundBody::Link {
            title,
            description,
            url,
            msg_id
        }),
        arb_event().prop_map(InboundBody::Event),
        (
            "x_[a-z]{1,8}",
            proptest::collection::vec(arb_element(), 0..4)
        )
            .prop_map(|(msg_type, fields)| InboundBody::Other { msg_type, fields }),
    ]
}

proptest! {
    #[test]
    fn every_inbound_message_round_trips(
        to_user_name in any::<String>(),
        from_user_name in any::<String>(),
        create_time in any::<i64>(),
        agent_id in proptest::option::of(any::<u32>()),
        body in arb_body(),
    ) {
        let m = InboundMessage { to_user_name, from_user_name, create_time, agent_id, body };
        let xml = m.to_xml();
        prop_assert_eq!(&InboundMessage::parse(&xml).unwrap(), &m);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(&serde_json::from_str::<InboundMessage>(&json).unwrap(), &m);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(input in any::<String>()) {
        let _ = InboundMessage::parse(&input);
    }

    #[test]
    fn parse_never_panics_on_mutated_messages(body in arb_body(), cut in any::<proptest::sample::Index>(), junk in "[<>&;!\\[\\]/a-z ]{0,6}") {
        let xml = message(body).to_xml();
        let at = cut.index(xml.len());
        if xml.is_char_boundary(at) {
            let mutated = format!("{}{}{}", &xml[..at], junk, &xml[at..]);
            let _ = InboundMessage::parse(&mutated);
            let _ = InboundMessage::parse(&xml[..at]);
        }
    }
}
