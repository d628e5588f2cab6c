//! The `DirectoryReads` contract, on SQLite and PostgreSQL, over a small directory built
//! for the test ([`directory`], shared with the HTTP tests):
//!
//! ```text
//! 1 企业
//! ├─ 3 销售 (order 200) ── 7 华东 (5)
//! ├─ 2 研发 (order 100) ─┬─ 6 前端 (20)
//! │                      └─ 5 后端 (10) ── 8 存储 (1)
//! └─ 4 行政 (order 50)
//! ```
//!
//! Members: zhangsan 张三 (5 and 3), lisi 李四 (6), wangwu 王五 (8), zhangwei 张伟 (2,
//! alias Wei), zhaoliu 赵六 (7), guanli 管理员 (4). Tags: 1 经理 (zhangsan, lisi; dept 2),
//! 2 空.

use chrono::{DateTime, SubsecRound, Utc};
use wxhub::accounts::model::AccountId;
use wxhub::contacts::model::{
    Access, AdminScope, ContactTag, ContactTagId, Department, DepartmentId, Gender, Member, Role,
    RoleLevel, TagMembers,
};
use wxhub::core::CorpUserId;
use wxhub::store::contact_queries::{Below, DepartmentRow, MemberCursor, SearchText, TagChange};
use wxhub::store::{Db, Store};

use super::callers::add_account;
use super::on_both_backends;

on_both_backends!(
    members_are_read_with_departments_and_tags_on_sqlite,
    members_are_read_with_departments_and_tags_on_postgres,
    members_are_read_with_departments_and_tags
);
on_both_backends!(
    search_matches_names_aliases_mobiles_and_userids_on_sqlite,
    search_matches_names_aliases_mobiles_and_userids_on_postgres,
    search_matches_names_aliases_mobiles_and_userids
);
on_both_backends!(
    children_and_subtrees_run_level_by_level_in_wecom_order_on_sqlite,
    children_and_subtrees_run_level_by_level_in_wecom_order_on_postgres,
    children_and_subtrees_run_level_by_level_in_wecom_order
);
on_both_backends!(
    department_members_are_listed_once_by_path_and_paged_on_sqlite,
    department_members_are_listed_once_by_path_and_paged_on_postgres,
    department_members_are_listed_once_by_path_and_paged
);
on_both_backends!(
    tags_list_their_members_and_change_in_the_copy_on_sqlite,
    tags_list_their_members_and_change_in_the_copy_on_postgres,
    tags_list_their_members_and_change_in_the_copy
);
on_both_backends!(
    roles_are_stored_replaced_listed_and_removed_on_sqlite,
    roles_are_stored_replaced_listed_and_removed_on_postgres,
    roles_are_stored_replaced_listed_and_removed
);

pub(crate) fn dept(id: u64) -> DepartmentId {
    DepartmentId::new(id).expect("department id")
}

fn user(s: &str) -> CorpUserId {
    CorpUserId::parse(s).expect("userid")
}

fn department(id: u64, name: &str, parent: Option<u64>, order: u64) -> Department {
    Department {
        id: dept(id),
        name: name.into(),
        name_en: String::new(),
        parentid: parent.map(dept),
        order,
        leaders: Vec::new(),
    }
}

fn member(userid: &str, name: &str, departments: &[u64], mobile: &str, alias: &str) -> Member {
    Member {
        userid: user(userid),
        name: name.into(),
        department: departments.iter().map(|&d| dept(d)).collect(),
        order: departments.iter().map(|&d| d * 10).collect(),
        main_department: dept(departments[0]),
        position: String::new(),
        mobile: mobile.into(),
        gender: Gender::Male,
        email: format!("{userid}@example.com"),
        alias: alias.into(),
        avatar: String::new(),
        telephone: String::new(),
        address: String::new(),
        status: 1,
    }
}

/// The test directory (see the module doc).
pub(crate) fn directory() -> (Vec<Department>, Vec<Member>, Vec<TagMembers>) {
    let departments = vec![
        // Children before parents: the store orders them itself.
        department(8, "存储", Some(5), 1),
        department(1, "企业", None, 0),
        department(2, "研发", Some(1), 100),
        department(3, "销售", Some(1), 200),
        department(4, "行政", Some(1), 50),
        department(5, "后端", Some(2), 10),
        department(6, "前端", Some(2), 20),
        department(7, "华东", Some(3), 5),
    ];
    let members = vec![
        member("zhangsan", "张三", &[5, 3], "13800000001", "san"),
        member("lisi", "李四", &[6], "13900000002", ""),
        member("wangwu", "王五", &[8], "13800000003", ""),
        member("zhangwei", "张伟", &[2], "13700000004", "Wei"),
        member("zhaoliu", "赵六", &[7], "13600000005", ""),
        member("guanli", "管理员", &[4], "13500000006", ""),
    ];
    let tags = vec![
        TagMembers {
            tag: ContactTag {
                tagid: ContactTagId::new(1).expect("tag"),
                tagname: "经理".into(),
            },
            userids: vec![user("zhangsan"), user("lisi")],
            departments: vec![dept(2)],
        },
        TagMembers {
            tag: ContactTag {
                tagid: ContactTagId::new(2).expect("tag"),
                tagname: "空".into(),
            },
            userids: vec![],
            departments: vec![],
        },
    ];
    (departments, members, tags)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

async fn with_directory(store: &Store) -> AccountId {
    let account = add_account(store, "corp-q").await;
    let (departments, members, tags) = directory();
    store
        .contact_queries
        .insert_directory(&account, &departments, &members, &tags, now())
        .await
        .expect("directory");
    account
}

async fn row(store: &Store, account: &AccountId, id: u64) -> DepartmentRow {
    store
        .contact_queries
        .department(account, dept(id))
        .await
        .expect("read")
        .expect("known")
}

fn ids(rows: &[DepartmentRow]) -> Vec<u64> {
    rows.iter().map(|r| r.department.id.get()).collect()
}

/// Runs one statement on the store's database (the directory's writers are not ours).
async fn execute(store: &Store, sql: &str) {
    match &store.db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .expect(sql);
}

async fn members_are_read_with_departments_and_tags(store: Store) {
    let account = with_directory(&store).await;
    let reads = &store.contact_queries;
    let m = reads
        .member(&account, &user("zhangsan"))
        .await
        .expect("read")
        .expect("known");
    assert_eq!(m.member.name, "张三");
    assert_eq!(m.member.department, vec![dept(5), dept(3)]);
    assert_eq!(m.member.order, vec![50, 30]);
    assert_eq!(m.member.main_department, dept(5));
    assert_eq!(m.member.gender, Gender::Male);
    assert_eq!(m.tags, vec![ContactTagId::new(1).unwrap()]);
    assert_eq!(
        reads.member(&account, &user("nobody")).await.expect("read"),
        None
    );
    let other = add_account(&store, "corp-other").await;
    assert_eq!(
        reads.member(&other, &user("zhangsan")).await.expect("read"),
        None,
        "scoped by account"
    );
    let mut paths: Vec<String> = reads
        .member_paths(&account, &user("zhangsan"))
        .await
        .expect("paths")
        .iter()
        .map(|p| p.to_string())
        .collect();
    paths.sort();
    assert_eq!(paths, ["/1/2/5/", "/1/3/"]);
}

async fn search(store: &Store, account: &AccountId, q: &str) -> Vec<String> {
    let text = SearchText::new(q);
    store
        .contact_queries
        .search_members(account, text.as_ref(), None, 20)
        .await
        .expect("search")
        .into_iter()
        .map(|m| m.member.userid.as_str().to_owned())
        .collect()
}

async fn search_matches_names_aliases_mobiles_and_userids(store: Store) {
    let account = with_directory(&store).await;
    assert_eq!(
        search(&store, &account, "张").await,
        ["zhangsan", "zhangwei"]
    );
    assert_eq!(search(&store, &account, "张三").await, ["zhangsan"]);
    assert_eq!(search(&store, &account, "管理员").await, ["guanli"]);
    assert_eq!(search(&store, &account, "理").await, ["guanli"]);
    assert_eq!(
        search(&store, &account, "138").await,
        ["wangwu", "zhangsan"],
        "mobiles"
    );
    assert_eq!(search(&store, &account, "00000003").await, ["wangwu"]);
    assert_eq!(
        search(&store, &account, "ZHANG").await,
        ["zhangsan", "zhangwei"],
        "userids"
    );
    assert_eq!(
        search(&store, &account, "wei").await,
        ["zhangwei"],
        "alias Wei"
    );
    assert_eq!(
        search(&store, &account, "an").await,
        ["zhangsan"],
        "short: alias san, not the userids zhangwei or wangwu"
    );
    assert_eq!(search(&store, &account, "%").await, Vec::<String>::new());
    assert_eq!(
        search(&store, &account, "nobody").await,
        Vec::<String>::new()
    );
    assert_eq!(
        search(&store, &account, "").await.len(),
        6,
        "no text: everyone"
    );

    // Paging in userid order.
    let reads = &store.contact_queries;
    let text = SearchText::new("张");
    let first = reads
        .search_members(&account, text.as_ref(), None, 1)
        .await
        .expect("page");
    assert_eq!(first[0].member.userid.as_str(), "zhangsan");
    let second = reads
        .search_members(&account, text.as_ref(), Some(&first[0].member.userid), 1)
        .await
        .expect("page");
    assert_eq!(second[0].member.userid.as_str(), "zhangwei");
    assert!(second[0].member.department == vec![dept(2)]);

    // The index follows the writers' changes (triggers).
    execute(
        &store,
        "UPDATE contact_members SET name = '李小四' WHERE userid = 'lisi'",
    )
    .await;
    assert_eq!(search(&store, &account, "小四").await, ["lisi"]);
    assert_eq!(search(&store, &account, "李四").await, Vec::<String>::new());
    execute(
        &store,
        "DELETE FROM contact_members WHERE userid = 'wangwu'",
    )
    .await;
    assert_eq!(search(&store, &account, "138").await, ["zhangsan"]);
    assert_eq!(search(&store, &account, "王").await, Vec::<String>::new());
}

async fn children_and_subtrees_run_level_by_level_in_wecom_order(store: Store) {
    let account = with_directory(&store).await;
    let reads = &store.contact_queries;
    let root = row(&store, &account, 1).await;
    assert_eq!(root.department.parentid, None);
    assert_eq!(root.child_count, 3);
    let children = reads
        .children(&account, &root, Below::Children, None, None, 50)
        .await
        .expect("children");
    assert_eq!(ids(&children), [3, 2, 4], "a larger order first");
    assert_eq!(
        children.iter().map(|c| c.child_count).collect::<Vec<_>>(),
        [1, 2, 0]
    );
    let subtree = reads
        .children(&account, &root, Below::Subtree, None, None, 50)
        .await
        .expect("subtree");
    assert_eq!(ids(&subtree), [3, 2, 4, 6, 5, 7, 8]);
    let two = row(&store, &account, 2).await;
    let below_two = reads
        .children(&account, &two, Below::Subtree, None, None, 50)
        .await
        .expect("subtree");
    assert_eq!(ids(&below_two), [6, 5, 8], "the department itself excluded");

    // Keyset pages add up to the whole list.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = reads
            .children(&account, &root, Below::Subtree, None, after.as_ref(), 2)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        paged.extend(ids(&page));
        after = page.last().map(DepartmentRow::cursor);
    }
    assert_eq!(paged, [3, 2, 4, 6, 5, 7, 8]);

    // The ancestors are the path's departments.
    let eight = row(&store, &account, 8).await;
    let mut up = eight.path.ids();
    up.pop();
    let mut ancestors = reads.departments(&account, &up).await.expect("ancestors");
    ancestors.sort_by_key(|r| std::cmp::Reverse(r.path.depth()));
    assert_eq!(ids(&ancestors), [5, 2, 1], "nearest first, the root last");

    // A tiered admin of 5 who is a member of 7: 5's subtree managed, 7 viewed, the way
    // there (1, 2, 3) path-only, 4 and 6 hidden.
    let scope = AdminScope::new(
        Some(RoleLevel::TieredAdmin),
        vec![row(&store, &account, 5).await.path],
        vec![row(&store, &account, 7).await.path],
    );
    let visible = scope.visible().expect("filtered");
    let seen = reads
        .children(&account, &root, Below::Subtree, Some(&visible), None, 50)
        .await
        .expect("scoped");
    assert_eq!(ids(&seen), [3, 2, 5, 7, 8]);
    let access: Vec<Option<Access>> = seen.iter().map(|r| scope.access(&r.path)).collect();
    assert_eq!(
        access,
        [
            Some(Access::PathOnly),
            Some(Access::PathOnly),
            Some(Access::Manage),
            Some(Access::View),
            Some(Access::Manage)
        ]
    );
    let direct = reads
        .children(&account, &root, Below::Children, Some(&visible), None, 50)
        .await
        .expect("scoped children");
    assert_eq!(ids(&direct), [3, 2]);
    let nothing = AdminScope::new(None, vec![], vec![])
        .visible()
        .expect("filtered");
    assert!(reads
        .children(&account, &root, Below::Subtree, Some(&nothing), None, 50)
        .await
        .expect("empty")
        .is_empty());
}

async fn department_members_are_listed_once_by_path_and_paged(store: Store) {
    let account = with_directory(&store).await;
    let reads = &store.contact_queries;
    let listed = |rows: Vec<(
        wxhub::contacts::model::DepartmentPath,
        wxhub::store::contact_queries::MemberRecord,
    )>| {
        rows.into_iter()
            .map(|(p, m)| format!("{p}{}", m.member.userid.as_str()))
            .collect::<Vec<_>>()
    };
    let five = row(&store, &account, 5).await;
    let direct = reads
        .department_members(&account, &five, Below::Children, None, 50)
        .await
        .expect("direct");
    assert_eq!(listed(direct), ["/1/2/5/zhangsan"]);
    let two = row(&store, &account, 2).await;
    let subtree = reads
        .department_members(&account, &two, Below::Subtree, None, 50)
        .await
        .expect("subtree");
    assert_eq!(
        listed(subtree),
        [
            "/1/2/zhangwei",
            "/1/2/5/zhangsan",
            "/1/2/5/8/wangwu",
            "/1/2/6/lisi"
        ]
    );
    let root = row(&store, &account, 1).await;
    let mut all = Vec::new();
    let mut after: Option<MemberCursor> = None;
    loop {
        let page = reads
            .department_members(&account, &root, Below::Subtree, after.as_ref(), 2)
            .await
            .expect("page");
        let Some((path, last)) = page.last() else {
            break;
        };
        after = Some(MemberCursor {
            path: path.clone(),
            userid: last.member.userid.clone(),
        });
        all.extend(listed(page));
    }
    assert_eq!(
        all,
        [
            "/1/2/zhangwei",
            "/1/2/5/zhangsan",
            "/1/2/5/8/wangwu",
            "/1/2/6/lisi",
            "/1/3/7/zhaoliu",
            "/1/4/guanli"
        ],
        "zhangsan once, in its first department by path"
    );
    let with = reads
        .direct_members(&account, &[dept(5), dept(3), dept(4)])
        .await
        .expect("direct members");
    let with: Vec<(u64, &str)> = with
        .iter()
        .map(|(d, m)| (d.get(), m.member.userid.as_str()))
        .collect();
    assert_eq!(with, [(3, "zhangsan"), (4, "guanli"), (5, "zhangsan")]);
}

async fn tags_list_their_members_and_change_in_the_copy(store: Store) {
    let account = with_directory(&store).await;
    let reads = &store.contact_queries;
    let tags = reads.tags(&account).await.expect("tags");
    assert_eq!(
        tags.iter().map(|t| t.tagname.as_str()).collect::<Vec<_>>(),
        ["经理", "空"]
    );
    let one = ContactTagId::new(1).unwrap();
    let members = reads
        .tag_members(&account, one)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        members.users,
        [
            (user("lisi"), "李四".into()),
            (user("zhangsan"), "张三".into())
        ]
    );
    assert_eq!(members.parties, [(dept(2), "研发".into())]);
    assert!(reads
        .change_tag_members(
            &account,
            one,
            TagChange::Add,
            &[user("wangwu"), user("ghost")],
            &[dept(4)]
        )
        .await
        .expect("add"));
    assert!(reads
        .change_tag_members(
            &account,
            one,
            TagChange::Remove,
            &[user("lisi")],
            &[dept(2)]
        )
        .await
        .expect("remove"));
    let members = reads
        .tag_members(&account, one)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        members.users,
        [
            (user("ghost"), String::new()),
            (user("wangwu"), "王五".into()),
            (user("zhangsan"), "张三".into())
        ],
        "a member the copy lacks has no name"
    );
    assert_eq!(members.parties, [(dept(4), "行政".into())]);
    let missing = ContactTagId::new(99).unwrap();
    assert!(!reads
        .change_tag_members(&account, missing, TagChange::Add, &[user("lisi")], &[])
        .await
        .expect("unknown tag"));
    assert_eq!(
        reads.tag_members(&account, missing).await.expect("read"),
        None
    );
}

async fn roles_are_stored_replaced_listed_and_removed(store: Store) {
    let account = with_directory(&store).await;
    let reads = &store.contact_queries;
    let at = now();
    let tiered = Role::build(user("zhangsan"), 3, &[5, 7]).expect("role");
    let stored = reads.put_role(&account, &tiered, at).await.expect("put");
    assert_eq!(stored.role, tiered);
    assert_eq!(
        reads.role(&account, &user("zhangsan")).await.expect("get"),
        Some(stored)
    );
    let promoted = Role::build(user("zhangsan"), 2, &[]).expect("role");
    reads
        .put_role(&account, &promoted, at)
        .await
        .expect("replace");
    reads
        .put_role(&account, &Role::build(user("guanli"), 1, &[]).unwrap(), at)
        .await
        .expect("put");
    let all = reads.roles(&account, None, 10).await.expect("list");
    assert_eq!(
        all.iter()
            .map(|r| (r.role.userid.as_str(), r.role.level.get()))
            .collect::<Vec<_>>(),
        [("guanli", 1), ("zhangsan", 2)]
    );
    let after = reads
        .roles(&account, Some(&user("guanli")), 10)
        .await
        .expect("page");
    assert_eq!(after.len(), 1);
    assert!(reads
        .delete_role(&account, &user("zhangsan"))
        .await
        .expect("delete"));
    assert!(!reads
        .delete_role(&account, &user("zhangsan"))
        .await
        .expect("again"));
    assert_eq!(
        reads.role(&account, &user("zhangsan")).await.expect("get"),
        None
    );
}
