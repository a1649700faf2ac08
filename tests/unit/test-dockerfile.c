// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-dockerfile.c: builder/dockerfile.c reads Dockerfiles as docker's
 * parser does: every instruction and its arguments, flags, continuations
 * with comments and blank lines, the escape directive, heredocs, the
 * exec and shell forms and docker's fallbacks, and the errors with the
 * line docker names.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../builder/dockerfile.h"
#include "../../lib/util.h"
#include "../tap.h"

static struct dockerfile df;
static struct berth_error err;

static int parse(const char *text)
{
	dockerfile_clear(&df);
	berth_error_clear(&err);
	return dockerfile_parse("Dockerfile", text, strlen(text), &df, &err);
}

static int parse_ok(const char *text, const char *what)
{
	int r = parse(text);
	if (!ok(r == 0, "parses: %s", what))
		printf("#   error: %s\n", err.msg ? err.msg : "(none)");
	return r == 0;
}

/* The error is exactly want ("Dockerfile:LINE: problem"), or starts
 * with it when prefix. */
static void parse_fails(const char *text, const char *want, bool prefix)
{
	int r = parse(text);
	const char *msg = err.msg ? err.msg : "(none)";
	bool match = prefix ? strncmp(msg, want, strlen(want)) == 0 : strcmp(msg, want) == 0;

	if (!ok(r < 0 && match, "error %s", want))
		printf("#   got: %s\n", msg);
}

/* A missing instruction is an empty one: a wrong count fails the
 * checks that follow instead of crashing the test. */
static char *no_args[] = { NULL };
static struct df_instr none = { .args = no_args };

static const struct df_instr *instr(size_t stage, size_t i)
{
	if (stage >= df.n_stages || i >= df.stages[stage].n_instrs) {
		printf("# no instruction %zu of stage %zu\n", i, stage);
		return &none;
	}
	return &df.stages[stage].instrs[i];
}

static const char *flag_val(const struct df_instr *in, const char *name)
{
	const struct df_flag *f = in ? df_flag_get(in, name) : NULL;

	return !f ? "(no flag)" : f->value ? f->value : "(bare)";
}

/* args joined by '|' */
static char *args_of(const struct df_instr *in)
{
	size_t n = 1;
	char *r, *p;

	if (!in)
		return xstrdup("(no instruction)");
	for (size_t i = 0; i < in->n_args; i++)
		n += strlen(in->args[i]) + 1;
	r = p = xcalloc(1, n);
	for (size_t i = 0; i < in->n_args; i++)
		p += sprintf(p, "%s%s", i ? "|" : "", in->args[i]);
	if (in->args[in->n_args])
		abort();
	return r;
}

static void is_args(const struct df_instr *in, const char *want, const char *name)
{
	char *a = args_of(in);
	is_str(a, want, name);
	free(a);
}

static void test_instructions(void)
{
	const char *text = "FROM alpine:3.19 AS Build\n"
			   "RUN apk add gcc\n"
			   "COPY src/ /app/src/\n"
			   "ADD https://x.test/a.tgz /tmp/\n"
			   "WORKDIR /app\n"
			   "ENV A=1 B=\"two words\" C=three\\ words\n"
			   "ARG V=1 W\n"
			   "LABEL org.x=\"y\" z=w\n"
			   "USER 1000:1000\n"
			   "EXPOSE 80 443/udp\n"
			   "VOLUME /data /logs\n"
			   "CMD [\"/app/run\", \"--fast\"]\n"
			   "ENTRYPOINT exec /init\n"
			   "STOPSIGNAL SIGTERM\n"
			   "SHELL [\"/bin/bash\", \"-c\"]\n"
			   "HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/\n"
			   "ONBUILD RUN make\n"
			   "MAINTAINER someone@example.com\n"
			   "from scratch\n"
			   "copy --from=build /app /app\n";
	const struct df_instr *in;

	if (!parse_ok(text, "one instruction of each kind"))
		return;
	is_int(df.n_stages, 2, "two stages");
	is_str(df.stages[0].name, "build", "AS NAME lower-cased");
	is_args(&df.stages[0].from, "alpine:3.19", "FROM's image");
	is_int(df.stages[0].from.line, 1, "FROM on line 1");
	ok(df.stages[1].name == NULL, "an unnamed stage");
	is_int(df.stages[0].n_instrs, 17, "17 instructions in the first stage");
	is_int(instr(0, 0)->kind, DF_RUN, "RUN");
	is_args(instr(0, 0), "apk add gcc", "RUN shell form is the line");
	ok(!instr(0, 0)->json, "RUN shell form is not json");
	is_args(instr(0, 1), "src/|/app/src/", "COPY words");
	is_args(instr(0, 2), "https://x.test/a.tgz|/tmp/", "ADD words");
	is_args(instr(0, 3), "/app", "WORKDIR");
	is_args(instr(0, 4), "A|1|B|\"two words\"|C|three\\ words", "ENV pairs raw");
	is_args(instr(0, 5), "V=1|W", "ARG words");
	is_args(instr(0, 6), "org.x|\"y\"|z|w", "LABEL pairs raw");
	is_args(instr(0, 7), "1000:1000", "USER");
	is_args(instr(0, 8), "80|443/udp", "EXPOSE");
	is_args(instr(0, 9), "/data|/logs", "VOLUME words");
	is_args(instr(0, 10), "/app/run|--fast", "CMD exec form");
	ok(instr(0, 10)->json, "CMD exec form is json");
	is_args(instr(0, 11), "exec /init", "ENTRYPOINT shell form");
	is_args(instr(0, 12), "SIGTERM", "STOPSIGNAL");
	is_args(instr(0, 13), "/bin/bash|-c", "SHELL");
	in = instr(0, 14);
	is_args(in, "CMD|curl -f http://localhost/", "HEALTHCHECK CMD shell form");
	ok(in && !in->json, "HEALTHCHECK CMD shell form is not json");
	is_int(in ? in->n_flags : 0, 2, "HEALTHCHECK's two flags");
	is_str(flag_val(in, "interval"), "5s", "--interval");
	is_str(flag_val(in, "retries"), "3", "--retries");
	in = instr(0, 15);
	is_args(in, "RUN make", "ONBUILD's text");
	ok(in && in->sub && in->sub->kind == DF_RUN, "ONBUILD's trigger is a RUN");
	is_args(in ? in->sub : NULL, "make", "the trigger's arguments");
	is_args(instr(0, 16), "someone@example.com", "MAINTAINER");
	is_int(instr(0, 16)->line, 18, "MAINTAINER on line 18");
	is_args(instr(1, 0), "/app|/app", "lower-case copy");
	is_str(flag_val(instr(1, 0), "from"), "build", "copy --from");
	is_str(instr(1, 0)->text, "copy --from=build /app /app", "text as written");
	is_str(df_kind_name(DF_HEALTHCHECK), "HEALTHCHECK", "kind name");
}

static void test_meta_args(void)
{
	if (!parse_ok("# a comment\nARG BASE=alpine\nARG TAG=\"3 .19\" X\n\nFROM $BASE:$TAG\n",
		      "ARGs before FROM"))
		return;
	is_int(df.n_meta_args, 2, "two meta ARG instructions");
	is_args(&df.meta_args[1], "TAG=\"3 .19\"|X", "meta ARG words kept raw");
	is_int(df.meta_args[1].line, 3, "its line");
	is_args(&df.stages[0].from, "$BASE:$TAG", "FROM unexpanded");
	is_int(df.stages[0].from.line, 5, "FROM on line 5");
}

static void test_continuations(void)
{
	const char *text = "FROM a\n"
			   "RUN echo a \\\n"
			   "# a comment inside\n"
			   "    b \\\n"
			   "\n"
			   "   \t \n"
			   "  # another\n"
			   "    c\n"
			   "RUN one \\  \n"
			   "two\n"
			   "RUN x \\\\\n"
			   "RUN last \\";
	if (!parse_ok(text, "continuations with comments and blank lines"))
		return;
	is_args(instr(0, 0), "echo a     b     c", "continuations joined as docker joins them");
	is_str(instr(0, 0)->text, "RUN echo a     b     c", "its text");
	is_int(instr(0, 0)->line, 2, "the instruction's first line");
	is_args(instr(0, 1), "one two", "a continuation with trailing blanks");
	is_int(instr(0, 1)->line, 9, "counted after comments and blank lines");
	is_args(instr(0, 2), "x \\\\", "an escaped escape does not continue");
	is_int(instr(0, 2)->line, 11, "its line");
	is_args(instr(0, 3), "last", "a continuation at the end of the file");

	if (parse_ok("FROM a\r\nRUN a \\\r\n  b\r\nCMD c\r\n", "CRLF line endings")) {
		is_args(instr(0, 0), "a   b", "CRLF continuation");
		is_args(instr(0, 1), "c", "CRLF line");
	}
	if (parse_ok("\xef\xbb\xbf# escape=`\nFROM a\nRUN a `\n b\n", "a BOM before a directive"))
		is_args(instr(0, 0), "a  b", "the directive after the BOM counts");
	if (parse_ok("  FROM a\n\t run   x  \n", "leading blanks and lower-case keywords"))
		is_args(instr(0, 0), "x", "trimmed");
}

static void test_escape(void)
{
	const char *text = "# escape=`\n"
			   "\n"
			   "FROM mcr.microsoft.com/windows/servercore\n"
			   "COPY testfile.txt c:\\\n"
			   "RUN dir c:\\\n"
			   "RUN echo a `\n"
			   "  b\n"
			   "ENV P=C:\\Program` Files\n";
	if (parse_ok(text, "escape directive with the backtick on Windows paths")) {
		is_int(df.escape, '`', "escape is the backtick");
		is_args(instr(0, 0), "testfile.txt|c:\\", "a backslash at the end is a path");
		is_args(instr(0, 1), "dir c:\\", "RUN with c:\\ does not continue");
		is_args(instr(0, 2), "echo a   b", "the backtick continues");
		is_args(instr(0, 3), "P|C:\\Program` Files", "ENV word with an escaped space");
		is_int(instr(0, 3)->line, 8, "line numbers after a backtick continuation");
	}
	if (parse_ok("#  ESCAPE = ` \n# syntax=docker/dockerfile:1\nFROM a\n",
		     "directive keys are case-insensitive, two directives"))
		ok(df.escape == '`' && df.syntax && strcmp(df.syntax, "docker/dockerfile:1") == 0,
		   "escape and syntax read");
	if (parse_ok("# a comment\n# escape=`\nFROM a\nRUN a \\\nCMD b\n",
		     "a directive after a comment"))
		is_args(instr(0, 0), "a CMD b", "is a comment: the escape stays backslash");
	if (parse_ok("# foo=bar\n# escape=`\nFROM a\nRUN a \\\nCMD b\n",
		     "a directive after an unknown one"))
		ok(df.escape == '\\', "is a comment");
	if (parse_ok("FROM a\n# escape=`\nRUN a `\nCMD b\n", "a directive after an instruction"))
		is_int(df.stages[0].n_instrs, 2, "is a comment");
	parse_fails("# escape=x\nFROM a\n",
		    "Dockerfile:1: invalid escape token 'x' does not match ` or \\", false);
	parse_fails("# escape=`\n# escape=\\\nFROM a\n",
		    "Dockerfile:2: only one escape parser directive can be used", false);
}

static void test_heredocs(void)
{
	const char *text = "FROM a\n"
			   "RUN <<EOF\n"
			   "apt-get update\n"
			   "echo $HOME\n"
			   "EOF\n"
			   "RUN <<-EOT bash -ex\n"
			   "\tif true; then\n"
			   "\t\techo tab\n"
			   "\tfi\n"
			   "\tEOT\n"
			   "RUN <<'RAW' sh\n"
			   "echo $NOT\n"
			   "RAW\n"
			   "RUN cat <<A && cat 3<<\"B\" > /out\n"
			   "first\n"
			   "A\n"
			   "second\n"
			   "B\n"
			   "COPY <<EOF /etc/conf\n"
			   "k=v\n"
			   "EOF\n"
			   "COPY --chmod=755 <<one <<two /dir/\n"
			   "1\n"
			   "one\n"
			   "two\n"
			   "CMD [\"<<NOT\"]\n"
			   "RUN [\"sh\", \"-c\", \"cat <<X\"]\n";
	const struct df_instr *in;

	if (!parse_ok(text, "heredocs"))
		return;
	in = instr(0, 0);
	is_args(in, "<<EOF", "RUN <<EOF keeps the line");
	is_int(in->n_heredocs, 1, "one heredoc");
	is_str(in->heredocs[0].name, "EOF", "its name");
	is_str(in->heredocs[0].body, "apt-get update\necho $HOME\n", "its body, raw");
	ok(in->heredocs[0].expand && !in->heredocs[0].strip_tabs, "unquoted: expand");
	in = instr(0, 1);
	is_str(in->heredocs[0].body, "if true; then\necho tab\nfi\n", "<<- strips leading tabs");
	ok(in->heredocs[0].strip_tabs, "strip_tabs");
	is_int(in->line, 6, "line after a heredoc");
	in = instr(0, 2);
	ok(!in->heredocs[0].expand, "<<'RAW' does not expand");
	is_str(in->heredocs[0].name, "RAW", "quotes leave the name");
	in = instr(0, 3);
	is_int(in->n_heredocs, 2, "two heredocs on one line");
	is_str(in->heredocs[0].body, "first\n", "the first's body");
	is_str(in->heredocs[1].name, "B", "3<<\"B\"");
	is_str(in->heredocs[1].body, "second\n", "the second's body");
	ok(in->heredocs[0].expand && !in->heredocs[1].expand, "quoting is per heredoc");
	in = instr(0, 4);
	is_args(in, "<<EOF|/etc/conf", "COPY <<EOF /file");
	is_str(in->heredocs[0].body, "k=v\n", "COPY's heredoc");
	in = instr(0, 5);
	is_args(in, "<<one|<<two|/dir/", "COPY <<A <<B /dir/");
	is_int(in->n_heredocs, 2, "two sources");
	is_str(in->heredocs[1].body, "", "an empty heredoc");
	is_int(in->line, 22, "its line");
	is_int(instr(0, 6)->n_heredocs, 0, "no heredoc in CMD");
	is_int(instr(0, 7)->n_heredocs, 0, "no heredoc in an exec form");
	is_int(instr(0, 7)->line, 27, "the exec form's line");

	parse_fails("FROM a\nRUN true\nRUN <<EOF\nno end\nEOFX\n",
		    "Dockerfile:3: unterminated heredoc", true);
	parse_fails("FROM a\nRUN <<A <<B\na\nA\nb\n", "Dockerfile:2: unterminated heredoc", true);
	parse_fails("FROM a\nCOPY a <<EOF\nx\nEOF\n",
		    "Dockerfile:2: COPY cannot accept a heredoc as a destination", false);
	if (parse_ok("FROM a\nRUN <<EOF\nx\nEOF", "a terminator at the end without newline"))
		is_str(instr(0, 0)->heredocs[0].body, "x\n", "its body");
	if (parse_ok("FROM a\nONBUILD RUN <<EOF\nx\nEOF\nCMD y\n", "ONBUILD RUN <<EOF")) {
		is_int(instr(0, 0)->sub->n_heredocs, 1, "the trigger's heredoc");
		is_args(instr(0, 0), "RUN <<EOF\nx\nEOF", "the trigger's text carries its heredoc");
		is_args(instr(0, 1), "y", "then the next instruction");
	}
	if (parse_ok("FROM a\nRUN echo \"<<EOF\"\nCMD y\n", "a quoted << is no heredoc"))
		is_int(instr(0, 0)->n_heredocs, 0, "none");
}

static void test_forms(void)
{
	if (parse_ok("FROM a\nCMD [bad\nCMD [\"a\", \"b\"] x\nCMD ['a']\nCMD []\nCMD\n"
		     "ENTRYPOINT [\"a\\\"q\\u00e9\\n\"]\nRUN [\"a\",\n",
		     "JSON and shell forms")) {
		is_args(instr(0, 0), "[bad", "CMD [bad is the shell form");
		ok(!instr(0, 0)->json, "not json");
		is_args(instr(0, 1), "[\"a\", \"b\"] x", "trailing text: shell form");
		is_args(instr(0, 2), "['a']", "single quotes: shell form");
		ok(instr(0, 3)->json && instr(0, 3)->n_args == 0, "CMD [] is an empty exec form");
		ok(!instr(0, 4)->json && instr(0, 4)->n_args == 0, "CMD alone");
		is_args(instr(0, 5), "a\"q\xc3\xa9\n", "JSON escapes");
		is_args(instr(0, 6), "[\"a\",", "an unfinished array: shell form");
	}
	parse_fails("FROM a\nCMD [\"a\", 1]\n",
		    "Dockerfile:2: when using JSON array syntax, arrays must be comprised of "
		    "strings only",
		    false);
	parse_fails("FROM a\nSHELL /bin/sh -c\n",
		    "Dockerfile:2: SHELL requires the arguments to be in JSON form", false);
	parse_fails("FROM a\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument",
		    false);
	if (parse_ok("FROM a\nCOPY [\"a b\", \"/c d/\"]\nCOPY \"a b\" c\nVOLUME [\"/v\"]\n",
		     "COPY and VOLUME forms")) {
		is_args(instr(0, 0), "a b|/c d/", "COPY json");
		is_args(instr(0, 1), "\"a|b\"|c", "COPY shell form splits on blanks only");
		ok(instr(0, 2)->json, "VOLUME json");
	}
	parse_fails("FROM a\nVOLUME [\"\"]\n",
		    "Dockerfile:2: VOLUME specified can not be an empty string", false);
}

static void test_env_label_arg(void)
{
	if (parse_ok("FROM a\nENV KEY some value  here\nENV A=\"x y\" B='1 2' C=a\\ b D=\n"
		     "LABEL \"com.x\"=\"v\" multi.word=\"a \\\" b\"\nLABEL k v\nARG N\n"
		     "ARG A=1 B=\"2 3\"\n",
		     "ENV, LABEL, ARG")) {
		is_args(instr(0, 0), "KEY|some value  here", "the old ENV KEY VALUE form");
		is_args(instr(0, 1), "A|\"x y\"|B|'1 2'|C|a\\ b|D|", "ENV pairs with quotes raw");
		is_args(instr(0, 2), "\"com.x\"|\"v\"|multi.word|\"a \\\" b\"", "LABEL raw");
		is_args(instr(0, 3), "k|v", "the old LABEL form");
		is_args(instr(0, 4), "N", "ARG NAME");
		is_args(instr(0, 5), "A=1|B=\"2 3\"", "two ARGs on a line");
	}
	parse_fails("FROM a\nENV A\n", "Dockerfile:2: ENV must have two arguments", false);
	parse_fails("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument", false);
	parse_fails("FROM a\nENV A=1 B\n", "Dockerfile:2: Syntax error - can't find = in \"B\"",
		    true);
	parse_fails("FROM a\nENV =1\n", "Dockerfile:2: ENV names can not be blank", false);
	parse_fails("FROM a\nLABEL\n", "Dockerfile:2: LABEL requires at least one argument", false);
	parse_fails("FROM a\nARG\n", "Dockerfile:2: ARG requires at least one argument", false);
	parse_fails("FROM a\nARG =x\n", "Dockerfile:2: ARG names can not be blank", false);
}

static void test_flags(void)
{
	const struct df_instr *in;

	if (!parse_ok("FROM --platform=linux/amd64 a AS b\n"
		      "RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=tok "
		      "--network=none --security=insecure npm ci\n"
		      "COPY --from=b --chown=1:1 --chmod=644 --link --parents --exclude=*.md "
		      "--exclude=x a b\n"
		      "ADD --chown=u --chmod=600 --link=false --checksum=sha256:00 "
		      "--keep-git-dir=true a b\n"
		      "COPY --from=\"x y\" a b\n"
		      "RUN -- --not-a-flag\n",
		      "every flag"))
		return;
	is_str(flag_val(&df.stages[0].from, "platform"), "linux/amd64", "--platform");
	is_args(&df.stages[0].from, "a", "FROM's image after the flag");
	in = instr(0, 0);
	is_int(in->n_flags, 4, "RUN's four flags");
	is_str(in->flags[0].value, "type=cache,target=/root/.npm", "the first --mount");
	is_str(flag_val(in, "mount"), "type=secret,id=tok", "the last --mount");
	is_args(in, "npm ci", "RUN after its flags");
	in = instr(0, 1);
	is_int(in->n_flags, 7, "COPY's flags");
	is_str(flag_val(in, "link"), "(bare)", "bare --link");
	is_str(flag_val(in, "exclude"), "x", "--exclude repeats");
	in = instr(0, 2);
	is_str(flag_val(in, "link"), "false", "--link=false");
	is_str(flag_val(in, "keep-git-dir"), "true", "--keep-git-dir=true");
	is_str(flag_val(instr(0, 3), "from"), "x y", "a quoted flag");
	is_args(instr(0, 4), "--not-a-flag", "-- ends the flags");

	parse_fails("FROM a\nCOPY --form=x a b\n", "Dockerfile:2: unknown flag: form", false);
	parse_fails("FROM a\nCOPY --from=a --from=b a b\n",
		    "Dockerfile:2: duplicate flag specified: from", false);
	parse_fails("FROM a\nCOPY --from a b\n", "Dockerfile:2: missing a value on flag: from",
		    false);
	parse_fails("FROM a\nCOPY --link=maybe a b\n",
		    "Dockerfile:2: expecting boolean value for flag link, not: maybe", false);
	parse_fails("FROM a\nADD --from=x a b\n", "Dockerfile:2: unknown flag: from", false);
	parse_fails("FROM a\nENV --x=1 A=1\n", "Dockerfile:2: unknown flag: x", false);
	parse_fails("FROM --mount=x a\n", "Dockerfile:1: unknown flag: mount", false);
	parse_fails("FROM a\nHEALTHCHECK --interval=5 CMD true\n", "Dockerfile:2: invalid duration",
		    true);
	parse_fails("FROM a\nHEALTHCHECK --timeout=1us CMD true\n",
		    "Dockerfile:2: Interval \"timeout\" cannot be less than 1ms", false);
	parse_fails("FROM a\nHEALTHCHECK --retries=-1 CMD true\n",
		    "Dockerfile:2: --retries cannot be negative (-1)", false);
	if (parse_ok("FROM a\nHEALTHCHECK --interval=1m30s --start-period=0 --start-interval=1.5s"
		     " --timeout=10ms CMD [\"curl\", \"-f\"]\n",
		     "HEALTHCHECK durations, exec form")) {
		is_args(instr(0, 0), "CMD|curl|-f", "HEALTHCHECK CMD exec form");
		ok(instr(0, 0)->json, "json");
	}
}

static void test_from_onbuild_healthcheck(void)
{
	parse_fails("FROM a AS\n", "Dockerfile:1: FROM requires either one or three arguments",
		    false);
	parse_fails("FROM a b c\n", "Dockerfile:1: FROM requires either one or three arguments",
		    false);
	parse_fails("FROM\n", "Dockerfile:1: FROM requires either one or three arguments", false);
	parse_fails("FROM a AS 1st\n", "Dockerfile:1: invalid name for build stage: \"1st\"", true);
	parse_fails("FROM a AS b$c\n", "Dockerfile:1: invalid name for build stage", true);
	if (parse_ok("FROM a as My.Stage-1_x\n", "a stage name with dots, dashes and digits"))
		is_str(df.stages[0].name, "my.stage-1_x", "lower-cased");
	parse_fails("FROM a\nONBUILD ONBUILD RUN x\n",
		    "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", false);
	parse_fails("FROM a\nONBUILD from b\n",
		    "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger", false);
	parse_fails("FROM a\nONBUILD MAINTAINER me\n",
		    "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger", false);
	parse_fails("FROM a\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument",
		    false);
	parse_fails("FROM a\nONBUILD BOGUS x\n", "Dockerfile:2: unknown instruction: BOGUS", false);
	if (parse_ok("FROM a\nONBUILD COPY --from=b x /y\n", "ONBUILD COPY --from")) {
		is_str(flag_val(instr(0, 0)->sub, "from"), "b", "the trigger's flag");
		is_args(instr(0, 0), "COPY --from=b x /y", "ONBUILD's text");
	}
	if (parse_ok("FROM a\nHEALTHCHECK none\n", "HEALTHCHECK NONE"))
		is_args(instr(0, 0), "NONE", "NONE");
	parse_fails("FROM a\nHEALTHCHECK NONE x\n",
		    "Dockerfile:2: HEALTHCHECK NONE takes no arguments", false);
	parse_fails("FROM a\nHEALTHCHECK CMD\n",
		    "Dockerfile:2: Missing command after HEALTHCHECK CMD", false);
	parse_fails("FROM a\nHEALTHCHECK RUN x\n",
		    "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)", false);
	parse_fails("FROM a\nHEALTHCHECK\n",
		    "Dockerfile:2: HEALTHCHECK requires at least one argument", false);
}

static void test_errors(void)
{
	parse_fails("FROM a\nRUN x\nFOO bar\n", "Dockerfile:3: unknown instruction: FOO", false);
	parse_fails("FROM a\nRUN a \\\n  b\n# c\nCOPY a \\\n\nsrc\n  bogus x\n",
		    "Dockerfile:8: unknown instruction: BOGUS", false);
	parse_fails("ARG x\nRUN true\nFROM a\n", "Dockerfile:2: no build stage in current context",
		    true);
	parse_fails("ARG x\n", "Dockerfile:1: no FROM instruction", true);
	parse_fails("", "Dockerfile:1: file with no instructions", false);
	parse_fails("# only\n\n# comments\n", "Dockerfile:3: file with no instructions", false);
	parse_fails("FROM a\nRUN\n", "Dockerfile:2: RUN requires at least one argument", false);
	parse_fails("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument",
		    false);
	parse_fails("FROM a\nUSER\n", "Dockerfile:2: USER requires exactly one argument", false);
	parse_fails("FROM a\nSTOPSIGNAL\n",
		    "Dockerfile:2: STOPSIGNAL requires exactly one argument", false);
	parse_fails("FROM a\nMAINTAINER\n",
		    "Dockerfile:2: MAINTAINER requires exactly one argument", false);
	parse_fails("FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument",
		    false);
	parse_fails("FROM a\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one argument",
		    false);
	parse_fails("FROM a\nCOPY a\n",
		    "Dockerfile:2: COPY requires at least two arguments, but only one was "
		    "provided. Destination could not be determined",
		    false);
	parse_fails("FROM a\nADD [\"a\"]\n", "Dockerfile:2: ADD requires at least two arguments",
		    true);
	{
		const char text[] = "FROM a\nRUN a\0b\n";
		int r;

		dockerfile_clear(&df);
		berth_error_clear(&err);
		r = dockerfile_parse("Dockerfile", text, sizeof(text) - 1, &df, &err);
		ok(r < 0 && err.msg && strcmp(err.msg, "Dockerfile:2: a NUL byte") == 0,
		   "a NUL byte names its line");
		berth_error_clear(&err);
	}
	{
		/* the text need not be NUL-terminated */
		const char text[] = "FROM a\nRUN abc";
		int r = dockerfile_parse("Dockerfile", text, 12, &df, &err);
		ok(r == 0 && strcmp(df.stages[0].instrs[0].args[0], "a") == 0,
		   "only len bytes are read");
		dockerfile_clear(&df);
	}
}

/* Append s at dst, its length back (the test builds large files). */
static size_t put(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

static void test_bounds(void)
{
	size_t n = DF_MAX_BYTES + 10;
	char *big = xmalloc(n + 1);
	struct timespec t0, t1;
	size_t off = 0;
	int r;

	dockerfile_clear(&df);
	berth_error_clear(&err);
	/* too large */
	memset(big, '#', n);
	big[n] = '\0';
	memcpy(big, "FROM a\n", 7);
	r = dockerfile_parse("Dockerfile", big, n, &df, &err);
	ok(r < 0 && err.msg && strcmp(err.msg, "Dockerfile:2: the file is larger than 4 MiB") == 0,
	   "a file over DF_MAX_BYTES: %s", err.msg ? err.msg : "");
	berth_error_clear(&err);

	/* too many instructions */
	off = put(big, "FROM a\n");
	for (int i = 0; i < DF_MAX_INSTRUCTIONS; i++)
		off += put(big + off, "RUN x\n");
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	ok(r < 0 && err.msg &&
		   strcmp(err.msg, "Dockerfile:10001: more than 10000 instructions") == 0,
	   "instruction 10001 is refused: %s", err.msg ? err.msg : "");
	berth_error_clear(&err);
	off -= 6;
	ok(dockerfile_parse("Dockerfile", big, off, &df, &err) == 0, "10000 instructions parse");
	dockerfile_clear(&df);

	/* hostile shapes of the whole size stay fast */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	off = put(big, "FROM a\nRUN x");
	while (off + 3 < DF_MAX_BYTES)
		off += put(big + off, " \\\n");
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	ok(r == 0, "a RUN of a million continuation lines");
	dockerfile_clear(&df);
	berth_error_clear(&err);
	off = put(big, "FROM a\nRUN");
	while (off + 4 < DF_MAX_BYTES - 500000)
		off += put(big + off, " <<A");
	big[off++] = '\n';
	for (int i = 0; i < 200000; i++)
		off += put(big + off, "A\n");
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	ok(r < 0 && err.msg && strstr(err.msg, "Dockerfile:2: unterminated heredoc"),
	   "a million heredocs on a line, too few bodies");
	berth_error_clear(&err);
	off = put(big, "FROM a\nRUN <<");
	memset(big + off, 'N', 2 << 20);
	off += 2 << 20;
	big[off++] = '\n';
	while (off + 2 < DF_MAX_BYTES)
		off += put(big + off, "x\n");
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	ok(r < 0 && err.msg && strstr(err.msg, "Dockerfile:2: unterminated heredoc"),
	   "a 2 MiB heredoc name over a million lines");
	berth_error_clear(&err);
	off = put(big, "FROM a\nENV");
	while (off + 4 < DF_MAX_BYTES)
		off += put(big + off, " a=\"");
	big[off] = '\0';
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	dockerfile_clear(&df);
	berth_error_clear(&err);
	off = put(big, "FROM a\nCMD ");
	while (off + 2 < DF_MAX_BYTES)
		off += put(big + off, "[");
	r = dockerfile_parse("Dockerfile", big, off, &df, &err);
	ok(r == 0 && !df.stages[0].instrs[0].json, "deeply nested JSON is the shell form");
	dockerfile_clear(&df);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(t1.tv_sec - t0.tv_sec < 20, "hostile 4 MiB files parse in linear time (%lds)",
	   (long)(t1.tv_sec - t0.tv_sec));
	free(big);
}

int main(void)
{
	test_instructions();
	test_meta_args();
	test_continuations();
	test_escape();
	test_heredocs();
	test_forms();
	test_env_label_arg();
	test_flags();
	test_from_onbuild_healthcheck();
	test_errors();
	test_bounds();
	dockerfile_clear(&df);
	berth_error_clear(&err);
	return tap_done();
}
