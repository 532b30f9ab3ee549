"""Schema migrations, applied in order; `PRAGMA user_version` records how many ran."""

from __future__ import annotations

# Each entry moves the schema from version i to i + 1. Never edit a shipped entry: append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        first_name  TEXT NOT NULL DEFAULT '',
        level       TEXT,
        timezone    TEXT,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        session_id        INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id           INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        mode              TEXT NOT NULL CHECK (mode IN ('quiz', 'interview', 'daily')),
        level             TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('open', 'finished', 'cancelled')),
        position          INTEGER NOT NULL DEFAULT 0,
        size              INTEGER NOT NULL CHECK (size > 0),
        origin_message_id INTEGER,
        started_at        INTEGER NOT NULL,
        ended_at          INTEGER
    );
    -- One open quiz or interview per user, whatever the application does.
    CREATE UNIQUE INDEX sessions_one_open ON sessions(user_id)
        WHERE status = 'open' AND mode IN ('quiz', 'interview');
    -- A redelivered level tap cannot start a second session from the same picker message.
    CREATE UNIQUE INDEX sessions_origin ON sessions(user_id, origin_message_id)
        WHERE origin_message_id IS NOT NULL;
    CREATE INDEX sessions_user_started ON sessions(user_id, started_at);
    CREATE TABLE session_questions (
        session_id    INTEGER NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        question_id   TEXT NOT NULL,
        option_order  TEXT NOT NULL,
        message_id    INTEGER,
        asked_at      INTEGER,
        result_shown  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE answers (
        answer_id     INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id    INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        user_id       INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        question_id   TEXT NOT NULL,
        mode          TEXT NOT NULL,
        level         TEXT NOT NULL,
        topic         TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('mcq', 'open')),
        chosen        INTEGER,
        correct       INTEGER,
        answer_text   TEXT,
        self_grade    TEXT CHECK (self_grade IN ('nailed', 'partly', 'missed')),
        answered_at   INTEGER NOT NULL,
        time_taken_ms INTEGER,
        -- A double tap or a redelivered update can never record a second answer.
        UNIQUE (session_id, position),
        FOREIGN KEY (session_id, position)
            REFERENCES session_questions(session_id, position) ON DELETE CASCADE
    );
    CREATE INDEX answers_user_time ON answers(user_id, answered_at);
    CREATE INDEX answers_user_question ON answers(user_id, question_id, answered_at);
    """,
    # 2: the daily push (subscription, delivery claims) and spaced-repetition cards.
    """
    ALTER TABLE users ADD COLUMN daily_time TEXT;
    ALTER TABLE users ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX users_daily ON users(daily_time) WHERE daily_time IS NOT NULL AND blocked = 0;
    CREATE TABLE cards (
        user_id      INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        question_id  TEXT NOT NULL,
        card         TEXT NOT NULL,
        due_at       INTEGER NOT NULL,
        reviewed_at  INTEGER NOT NULL,
        PRIMARY KEY (user_id, question_id)
    ) WITHOUT ROWID;
    CREATE INDEX cards_user_due ON cards(user_id, due_at);
    -- One row per user per local date: the claim that makes a push neither lost nor repeated.
    CREATE TABLE deliveries (
        delivery_id  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        local_date   TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'blocked')),
        attempts     INTEGER NOT NULL DEFAULT 1,
        claimed_at   INTEGER NOT NULL,
        sent_at      INTEGER,
        session_id   INTEGER REFERENCES sessions(session_id) ON DELETE SET NULL,
        message_id   INTEGER,
        UNIQUE (user_id, local_date)
    );
    CREATE INDEX deliveries_date ON deliveries(local_date, status);
    """,
    # 3: /stats reads a user's answers per question from one covering index; it starts with the columns of
    # answers_user_question, which it replaces (question choice reads the same prefix).
    """
    CREATE INDEX answers_user_stats
        ON answers(user_id, question_id, answered_at, kind, correct, self_grade, level, topic);
    DROP INDEX answers_user_question;
    """,
    # 4: group play. Groups and their settings; each poll the bot posted (the update with a vote does not say
    # which option is right); the first vote of each member per poll; per-day claims of the daily group poll;
    # group quizzes; members known only from groups (id and first name, for leaderboards).
    """
    CREATE TABLE groups (
        chat_id          INTEGER PRIMARY KEY,
        title            TEXT NOT NULL DEFAULT '',
        active           INTEGER NOT NULL DEFAULT 1,
        daily_time       TEXT,
        timezone         TEXT,
        level            TEXT,
        quiz_admins_only INTEGER NOT NULL DEFAULT 0,
        created_at       INTEGER NOT NULL
    );
    CREATE INDEX groups_daily ON groups(daily_time) WHERE daily_time IS NOT NULL AND active = 1;
    CREATE TABLE group_members (
        user_id     INTEGER PRIMARY KEY,
        first_name  TEXT NOT NULL
    );
    CREATE TABLE group_quizzes (
        quiz_id       INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id       INTEGER NOT NULL,
        level         TEXT NOT NULL,
        question_ids  TEXT NOT NULL,
        size          INTEGER NOT NULL CHECK (size > 0),
        position      INTEGER NOT NULL DEFAULT 0,
        -- The position whose poll is being sent: set before sendPoll, cleared once the poll is stored.
        sending       INTEGER,
        status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled')),
        started_at    INTEGER NOT NULL,
        ended_at      INTEGER
    );
    CREATE UNIQUE INDEX group_quizzes_one_running ON group_quizzes(chat_id) WHERE status = 'running';
    CREATE TABLE polls (
        poll_id        TEXT PRIMARY KEY,
        chat_id        INTEGER NOT NULL,
        message_id     INTEGER NOT NULL,
        question_id    TEXT NOT NULL,
        level          TEXT NOT NULL,
        topic          TEXT NOT NULL,
        correct_option INTEGER NOT NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('daily', 'quiz')),
        quiz_id        INTEGER REFERENCES group_quizzes(quiz_id) ON DELETE CASCADE,
        position       INTEGER,
        sent_at        INTEGER NOT NULL,
        closes_at      INTEGER,
        closed         INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX polls_chat ON polls(chat_id, kind, sent_at);
    CREATE UNIQUE INDEX polls_quiz_position ON polls(quiz_id, position) WHERE quiz_id IS NOT NULL;
    CREATE TABLE poll_votes (
        poll_id       TEXT NOT NULL REFERENCES polls(poll_id) ON DELETE CASCADE,
        user_id       INTEGER NOT NULL,
        chat_id       INTEGER NOT NULL,
        question_id   TEXT NOT NULL,
        level         TEXT NOT NULL,
        topic         TEXT NOT NULL,
        chosen        INTEGER NOT NULL,
        correct       INTEGER NOT NULL,
        answered_at   INTEGER NOT NULL,
        time_taken_ms INTEGER NOT NULL,
        PRIMARY KEY (poll_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX poll_votes_chat ON poll_votes(chat_id, answered_at);
    CREATE INDEX poll_votes_user ON poll_votes(user_id, question_id, answered_at);
    CREATE TABLE group_deliveries (
        chat_id      INTEGER NOT NULL,
        local_date   TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'blocked')),
        attempts     INTEGER NOT NULL DEFAULT 1,
        claimed_at   INTEGER NOT NULL,
        question_id  TEXT,
        poll_id      TEXT,
        PRIMARY KEY (chat_id, local_date)
    ) WITHOUT ROWID;
    """,
    # 5: the adaptive mock interview (deadlines, over-time and timed-out answers, the estimate), /review
    # sessions, and reports of questions with the disabled-question list.
    """
    ALTER TABLE session_questions ADD COLUMN deadline_at INTEGER;
    ALTER TABLE session_questions ADD COLUMN closed_at INTEGER;
    CREATE INDEX session_questions_deadline ON session_questions(deadline_at)
        WHERE deadline_at IS NOT NULL AND closed_at IS NULL;
    ALTER TABLE answers ADD COLUMN over_time INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE answers ADD COLUMN timed_out INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN estimate_level TEXT;
    ALTER TABLE sessions ADD COLUMN estimate REAL;
    ALTER TABLE sessions ADD COLUMN estimate_se REAL;
    ALTER TABLE sessions ADD COLUMN report_message_id INTEGER;
    ALTER TABLE sessions ADD COLUMN purpose TEXT;
    CREATE INDEX sessions_user_mode ON sessions(user_id, mode, status, started_at);
    CREATE TABLE disabled_questions (
        question_id  TEXT PRIMARY KEY,
        disabled_at  INTEGER NOT NULL,
        disabled_by  INTEGER
    ) WITHOUT ROWID;
    -- One report per user and question: a second one replaces the first.
    CREATE TABLE reports (
        report_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id        INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        question_id    TEXT NOT NULL,
        session_id     INTEGER REFERENCES sessions(session_id) ON DELETE SET NULL,
        reason         TEXT NOT NULL CHECK (reason IN ('wrong', 'unclear', 'typo', 'outdated', 'other')),
        comment        TEXT,
        content_hash   TEXT NOT NULL,
        status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'disabled')),
        created_at     INTEGER NOT NULL,
        comment_until  INTEGER,
        UNIQUE (user_id, question_id)
    );
    CREATE INDEX reports_status ON reports(status, question_id);
    CREATE INDEX reports_comment ON reports(user_id, comment_until) WHERE comment_until IS NOT NULL;
    -- The first report of a question each day notifies the admins, and this row says it was done.
    CREATE TABLE report_notices (
        question_id  TEXT NOT NULL,
        day          TEXT NOT NULL,
        PRIMARY KEY (question_id, day)
    ) WITHOUT ROWID;
    """,
    # 6: a daily group poll's lead message (a question too long for the poll, sent first) goes out once.
    """
    ALTER TABLE group_deliveries ADD COLUMN lead_sent INTEGER NOT NULL DEFAULT 0;
    """,
    # 7: running answer tallies per question and session level, for calibration (bot/storage/calibration.py),
    # kept by triggers in the transaction of every change to answers, so nothing ever rescans them (a row whose
    # last answer goes, with a /deleteme say, goes too). An answer's
    # score is 1 right, ½ partly, 0 wrong or timed out, and NULL (not counted) while an open one is not graded.
    """
    ALTER TABLE answers ADD COLUMN score REAL GENERATED ALWAYS AS (
        CASE WHEN timed_out = 1 THEN 0.0 WHEN kind = 'mcq' THEN correct WHEN self_grade = 'nailed' THEN 1.0
        WHEN self_grade = 'partly' THEN 0.5 WHEN self_grade = 'missed' THEN 0.0 END
    ) VIRTUAL;
    CREATE TABLE answer_tallies (
        question_id  TEXT NOT NULL,
        level        TEXT NOT NULL,
        answers      INTEGER NOT NULL,
        score        REAL NOT NULL,
        time_ms      INTEGER NOT NULL,
        PRIMARY KEY (question_id, level)
    ) WITHOUT ROWID;
    INSERT INTO answer_tallies (question_id, level, answers, score, time_ms)
        SELECT question_id, level, COUNT(*), TOTAL(score), COALESCE(SUM(time_taken_ms), 0) FROM answers
        WHERE score IS NOT NULL GROUP BY question_id, level;
    CREATE TRIGGER answer_tallies_insert AFTER INSERT ON answers WHEN NEW.score IS NOT NULL
    BEGIN
        INSERT INTO answer_tallies (question_id, level, answers, score, time_ms)
            VALUES (NEW.question_id, NEW.level, 1, NEW.score, COALESCE(NEW.time_taken_ms, 0))
            ON CONFLICT (question_id, level) DO UPDATE SET answers = answers + 1,
                score = score + excluded.score, time_ms = time_ms + excluded.time_ms;
    END;
    CREATE TRIGGER answer_tallies_delete AFTER DELETE ON answers WHEN OLD.score IS NOT NULL
    BEGIN
        UPDATE answer_tallies SET answers = answers - 1, score = score - OLD.score,
            time_ms = time_ms - COALESCE(OLD.time_taken_ms, 0)
            WHERE question_id = OLD.question_id AND level = OLD.level;
        DELETE FROM answer_tallies WHERE question_id = OLD.question_id AND level = OLD.level AND answers = 0;
    END;
    CREATE TRIGGER answer_tallies_update
    AFTER UPDATE OF question_id, level, kind, correct, self_grade, timed_out, time_taken_ms ON answers
    BEGIN
        UPDATE answer_tallies SET answers = answers - 1, score = score - OLD.score,
            time_ms = time_ms - COALESCE(OLD.time_taken_ms, 0)
            WHERE question_id = OLD.question_id AND level = OLD.level AND OLD.score IS NOT NULL;
        DELETE FROM answer_tallies WHERE question_id = OLD.question_id AND level = OLD.level AND answers = 0;
        INSERT INTO answer_tallies (question_id, level, answers, score, time_ms)
            SELECT NEW.question_id, NEW.level, 1, NEW.score, COALESCE(NEW.time_taken_ms, 0)
            WHERE NEW.score IS NOT NULL
            ON CONFLICT (question_id, level) DO UPDATE SET answers = answers + 1,
                score = score + excluded.score, time_ms = time_ms + excluded.time_ms;
    END;
    """,
    # 8: the grading table lives in the domain (bot/domain/grading.py) and nowhere in SQL. answers loses the
    # score column that repeated it; the calibration tallies count answers per question, session level and
    # outcome (kind, correct, self-grade, timed out: -1 and '' stand for none, as a key holds no NULL), and
    # bot/storage/calibration.py scores each outcome with the domain's table. Triggers keep them in the
    # transaction of every change to answers, as in 7, whoever makes it.
    """
    DROP TRIGGER answer_tallies_insert;
    DROP TRIGGER answer_tallies_delete;
    DROP TRIGGER answer_tallies_update;
    DROP TABLE answer_tallies;
    ALTER TABLE answers DROP COLUMN score;
    CREATE TABLE answer_tallies (
        question_id  TEXT NOT NULL,
        level        TEXT NOT NULL,
        kind         TEXT NOT NULL,
        correct      INTEGER NOT NULL,
        self_grade   TEXT NOT NULL,
        timed_out    INTEGER NOT NULL,
        answers      INTEGER NOT NULL,
        time_ms      INTEGER NOT NULL,
        PRIMARY KEY (question_id, level, kind, correct, self_grade, timed_out)
    ) WITHOUT ROWID;
    INSERT INTO answer_tallies (question_id, level, kind, correct, self_grade, timed_out, answers, time_ms)
        SELECT question_id, level, kind, IFNULL(correct, -1), IFNULL(self_grade, ''), timed_out, COUNT(*),
            COALESCE(SUM(time_taken_ms), 0)
        FROM answers GROUP BY question_id, level, kind, IFNULL(correct, -1), IFNULL(self_grade, ''), timed_out;
    CREATE TRIGGER answer_tallies_insert AFTER INSERT ON answers
    BEGIN
        INSERT INTO answer_tallies (question_id, level, kind, correct, self_grade, timed_out, answers, time_ms)
            VALUES (NEW.question_id, NEW.level, NEW.kind, IFNULL(NEW.correct, -1), IFNULL(NEW.self_grade, ''),
                NEW.timed_out, 1, IFNULL(NEW.time_taken_ms, 0))
            ON CONFLICT (question_id, level, kind, correct, self_grade, timed_out) DO UPDATE
                SET answers = answers + 1, time_ms = time_ms + excluded.time_ms;
    END;
    CREATE TRIGGER answer_tallies_delete AFTER DELETE ON answers
    BEGIN
        UPDATE answer_tallies SET answers = answers - 1, time_ms = time_ms - IFNULL(OLD.time_taken_ms, 0)
            WHERE question_id = OLD.question_id AND level = OLD.level AND kind = OLD.kind
            AND correct = IFNULL(OLD.correct, -1) AND self_grade = IFNULL(OLD.self_grade, '')
            AND timed_out = OLD.timed_out;
        DELETE FROM answer_tallies WHERE question_id = OLD.question_id AND level = OLD.level AND kind = OLD.kind
            AND correct = IFNULL(OLD.correct, -1) AND self_grade = IFNULL(OLD.self_grade, '')
            AND timed_out = OLD.timed_out AND answers = 0;
    END;
    CREATE TRIGGER answer_tallies_update
    AFTER UPDATE OF question_id, level, kind, correct, self_grade, timed_out, time_taken_ms ON answers
    BEGIN
        UPDATE answer_tallies SET answers = answers - 1, time_ms = time_ms - IFNULL(OLD.time_taken_ms, 0)
            WHERE question_id = OLD.question_id AND level = OLD.level AND kind = OLD.kind
            AND correct = IFNULL(OLD.correct, -1) AND self_grade = IFNULL(OLD.self_grade, '')
            AND timed_out = OLD.timed_out;
        DELETE FROM answer_tallies WHERE question_id = OLD.question_id AND level = OLD.level AND kind = OLD.kind
            AND correct = IFNULL(OLD.correct, -1) AND self_grade = IFNULL(OLD.self_grade, '')
            AND timed_out = OLD.timed_out AND answers = 0;
        INSERT INTO answer_tallies (question_id, level, kind, correct, self_grade, timed_out, answers, time_ms)
            VALUES (NEW.question_id, NEW.level, NEW.kind, IFNULL(NEW.correct, -1), IFNULL(NEW.self_grade, ''),
                NEW.timed_out, 1, IFNULL(NEW.time_taken_ms, 0))
            ON CONFLICT (question_id, level, kind, correct, self_grade, timed_out) DO UPDATE
                SET answers = answers + 1, time_ms = time_ms + excluded.time_ms;
    END;
    """,
    # 9: the interface language. users.language is the /language choice (NULL: none made), users.language_code
    # the last language Telegram reported for the user (normalised: en, ru; NULL if unsupported): the push and
    # other jobs have no update to read it from. groups.language is the admins' /language choice.
    """
    ALTER TABLE users ADD COLUMN language TEXT;
    ALTER TABLE users ADD COLUMN language_code TEXT;
    ALTER TABLE groups ADD COLUMN language TEXT;
    """,
    # 10: the push selects due rows by index. `next_due_at` (epoch ms, UTC) is when a subscriber's or group's next
    # daily post falls due. Only the service can compute it (it needs the zone rules and the clock), so NULL on a
    # subscribed row means "not known yet: look now"; any change of the settings it depends on, by whatever code,
    # clears it, and the next tick (or the service at once) stores the real time. Both cases have an index.
    """
    ALTER TABLE users ADD COLUMN next_due_at INTEGER;
    ALTER TABLE groups ADD COLUMN next_due_at INTEGER;
    CREATE INDEX users_next_due ON users(next_due_at)
        WHERE next_due_at IS NOT NULL AND daily_time IS NOT NULL AND blocked = 0;
    CREATE INDEX users_due_unknown ON users(user_id)
        WHERE next_due_at IS NULL AND daily_time IS NOT NULL AND blocked = 0;
    CREATE INDEX groups_next_due ON groups(next_due_at)
        WHERE next_due_at IS NOT NULL AND daily_time IS NOT NULL AND active = 1;
    CREATE INDEX groups_due_unknown ON groups(chat_id)
        WHERE next_due_at IS NULL AND daily_time IS NOT NULL AND active = 1;
    CREATE TRIGGER users_due_update AFTER UPDATE OF daily_time, timezone, blocked ON users
    BEGIN
        UPDATE users SET next_due_at = NULL WHERE user_id = NEW.user_id;
    END;
    CREATE TRIGGER groups_due_update AFTER UPDATE OF daily_time, timezone, active ON groups
    BEGIN
        UPDATE groups SET next_due_at = NULL WHERE chat_id = NEW.chat_id;
    END;
    """,
    # 11: admin broadcasts. A broadcast goes once to every user who has not blocked the bot nor opted out of news
    # (`news`); a row per (broadcast, user) is claimed before the send, as the daily push's are.
    """
    ALTER TABLE users ADD COLUMN news INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE broadcasts (
        broadcast_id  INTEGER PRIMARY KEY AUTOINCREMENT,
        html          TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'stopped', 'done', 'cancelled')),
        created_by    INTEGER,
        created_at    INTEGER NOT NULL,
        ended_at      INTEGER
    );
    CREATE TABLE broadcast_deliveries (
        broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(broadcast_id) ON DELETE CASCADE,
        user_id       INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        status        TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'blocked')),
        attempts      INTEGER NOT NULL DEFAULT 1,
        claimed_at    INTEGER NOT NULL,
        message_id    INTEGER,
        PRIMARY KEY (broadcast_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX broadcast_deliveries_user ON broadcast_deliveries(user_id);
    """,
    # 12: goals, paused days and streak nudges (bot/storage/goals.py).
    """
    -- Goals: a date to be ready by and a level; one open (active or asked after the date) per user.
    CREATE TABLE goals (
        goal_id     INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        target_date TEXT NOT NULL,
        level       TEXT NOT NULL,
        status      TEXT NOT NULL
            CHECK (status IN ('active', 'off', 'asked', 'passed', 'not_yet', 'skipped')),
        created_at  INTEGER NOT NULL,
        asked_on    TEXT,
        closed_at   INTEGER
    );
    CREATE UNIQUE INDEX goals_one_open ON goals(user_id) WHERE status IN ('active', 'asked');
    -- Paused local days (inclusive range): no push, the streak clock stops, the plan skips them.
    CREATE TABLE pauses (
        user_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        first_day  TEXT NOT NULL,
        last_day   TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, first_day)
    ) WITHOUT ROWID;
    -- At most one streak nudge per user and local day.
    CREATE TABLE nudges (
        user_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        local_date TEXT NOT NULL,
        sent_at    INTEGER NOT NULL,
        PRIMARY KEY (user_id, local_date)
    ) WITHOUT ROWID;
    ALTER TABLE users ADD COLUMN remind_at TEXT;
    """,
    # 13: the grader's verdict on a typed answer (quiz, review, interview), stored when it lands; the message, the
    # debrief and the report read it (a self-grade on the answer row still decides what counts once tapped).
    # Its 0..1 score is in `detail` with the points (JSON): as in 8, no score column lives in SQL.
    """
    CREATE TABLE answer_grades (
        session_id  INTEGER NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        grader      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        graded_at   INTEGER NOT NULL,
        PRIMARY KEY (session_id, position)
    );
    """,
)
