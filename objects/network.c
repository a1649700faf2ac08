// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * network.c: user networks in the store. Each is networks/NAME/ holding
 * network.json (name, id, when, subnet, internal, labels); this file owns
 * those records, their names and subnets, and the lock that orders them
 * against containers. It does not own the bridge (netns/keeper.c) or the
 * addresses of running containers (runner/netjoin.c), and never reads
 * the container list: which containers use a network, and which run on
 * it, is runner/users.c's to know and to tell (network_inspect).
 *
 * In use means named by a container's config.json ("Network"), whatever
 * its state, as volumes are: network_lock() orders creating containers
 * against removing networks (the remover asks for the users under it),
 * so a network never goes while a container is being made on it. A
 * network is built under a .tmp- name and renamed into place, and
 * renamed to .rm- before it is removed (named.c): a killed command
 * leaves a whole network or none, and the next lock sweeps the rest.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "named.h"
#include "network.h"

#define NAME_MAX_LEN 64
#define SUBNET_STR_LEN (INET_ADDRSTRLEN + 4)

/* ---- subnets and names ---- */

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static void subnet_str(const struct net_subnet *sn, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sn->net, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, sn->prefix);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number of at most max_digits digits without a leading zero
 * (inet_aton would read "010" as octal 8: refused as ambiguous); *p moves
 * past it. -1: not a number, -2: a leading zero, -3: too many digits. */
static long parse_decimal(const char **p, int max_digits)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	if (!is_digit(*s))
		return -1;
	if (s[0] == '0' && is_digit(s[1]))
		return -2;
	for (; is_digit(*s); s++)
		if (++n > max_digits)
			return -3;
		else
			v = v * 10 + (*s - '0');
	*p = s;
	return v;
}

int network_parse_subnet(const char *text, struct net_subnet *out, struct berth_error *err)
{
	const char *p = text;
	uint32_t a = 0;
	long v;

	if (strchr(text, ':'))
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": IPv6 is not supported (an IPv4 network like "
				       "10.89.1.0/24)",
				       text);
	for (int i = 0; i < 4; i++) {
		if ((v = parse_decimal(&p, 3)) == -2)
			return berth_error_set(err, EINVAL,
					       "subnet \"%s\": an octet with a leading zero", text);
		if (v > 255)
			return berth_error_set(err, EINVAL, "subnet \"%s\": octet %ld is over 255",
					       text, v);
		if (v < 0 || (i < 3 && *p++ != '.'))
			return berth_error_set(err, EINVAL,
					       "subnet \"%s\": expected an IPv4 network like "
					       "10.89.1.0/24",
					       text);
		a = a << 8 | (uint32_t)v;
	}
	if (*p == '\0')
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": no prefix length (add /16 to /28, e.g. /24)",
				       text);
	if (*p++ != '/')
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": expected an IPv4 network like 10.89.1.0/24",
				       text);
	if ((v = parse_decimal(&p, 2)) < 0)
		return berth_error_set(
			err, EINVAL,
			"subnet \"%s\": expected a prefix length from 16 to 28 after /", text);
	if (*p != '\0')
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": unexpected \"%s\" after the prefix length",
				       text, p);
	/* slirp4netns needs room for its .2 and .3 and the containers from
	 * .4 up; more than a /16 only risks covering the host's own networks */
	if (v < 16 || v > 28)
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": /%ld is too %s (a prefix from /16 to /28)",
				       text, v, v < 16 ? "large" : "small");
	if (a & ~prefix_mask((unsigned)v)) {
		struct net_subnet fixed = { { htonl(a & prefix_mask((unsigned)v)) }, (unsigned)v };
		char buf[SUBNET_STR_LEN];
		subnet_str(&fixed, buf, sizeof(buf));
		return berth_error_set(err, EINVAL,
				       "subnet \"%s\": host bits are set (the network is %s)", text,
				       buf);
	}
	out->net.s_addr = htonl(a);
	out->prefix = (unsigned)v;
	return 0;
}

struct in_addr network_host(const struct net_subnet *sn, uint32_t n)
{
	return (struct in_addr){ htonl(ntohl(sn->net.s_addr) + n) };
}

static bool subnets_overlap(const struct net_subnet *a, const struct net_subnet *b)
{
	uint32_t m = prefix_mask(a->prefix < b->prefix ? a->prefix : b->prefix);
	return (ntohl(a->net.s_addr) & m) == (ntohl(b->net.s_addr) & m);
}

/* Why name is not a network name, or NULL when it is one. */
static const char *name_problem(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "a name is required";
	if (n > NAME_MAX_LEN)
		return "longer than 64 characters";
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (i == 0 && !alnum)
			return "it must start with a letter or digit";
		if (!alnum && c != '_' && c != '.' && c != '-')
			return "only letters, digits, '_', '.' and '-' are allowed";
	}
	return NULL;
}

bool network_name_valid(const char *name)
{
	return name_problem(name) == NULL;
}

/* What --network takes besides network names (cmd-run.c). */
static const char *const builtin_modes[] = {
	"none", "host", "bridge", "default", "slirp4netns", "private",
};

bool network_name_reserved(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin_modes); i++)
		if (!strcmp(name, builtin_modes[i]))
			return true;
	return str_has_prefix(name, "container:");
}

static int check_name(const char *name, struct berth_error *err)
{
	const char *why = name_problem(name);

	if (network_name_reserved(name))
		return berth_error_set(err, EINVAL,
				       "network name \"%s\": reserved (--network %s is a built-in "
				       "mode)",
				       name, name);
	if (why)
		return berth_error_set(err, EINVAL, "network name \"%s\": %s", name, why);
	return 0;
}

void network_clear(struct network *n)
{
	free(n->name);
	memset(n, 0, sizeof(*n));
}

/* ---- the store ---- */

/* Lock order: the store lock (when taken), then this one. */
int network_lock(struct store *s, struct berth_error *err)
{
	/* network directories hold only the user's own files */
	return named_lock(s, "networks", NULL, err);
}

/* networks/NAME, never through a symlink (an O_PATH fd), or -1 when it
 * is not a network's directory. */
static int network_dir(struct store *s, const char *name)
{
	_cleanup_close_ int nd = -1;

	if (!network_name_valid(name) || network_name_reserved(name))
		return -1;
	nd = openat(s->rootfd, "networks", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return nd < 0 ? -1 : openat(nd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

bool network_exists(struct store *s, const char *name)
{
	_cleanup_close_ int dfd = network_dir(s, name);
	struct stat st;

	return dfd >= 0 && fstatat(dfd, "network.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

static struct json_object *network_record(struct store *s, const char *name,
					  struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("networks/%s/network.json", name), *buf = NULL;
	_cleanup_close_ int dfd = network_dir(s, name);
	struct json_object *o = NULL;
	struct stat st;

	if (dfd < 0 || fstatat(dfd, "network.json", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return berth_error_set(err, ENOENT, "network \"%s\": no such network", name), NULL;
	if (read_file_at(dfd, "network.json", 1 << 16, &buf, NULL, err) < 0)
		return berth_error_wrap(err, "network \"%s\"", name), NULL;
	if (json_parse_bounded(buf, strlen(buf), p, &o, err) < 0)
		return NULL;
	return o;
}

static bool is_hex_id(const char *id)
{
	if (!id || strlen(id) != 64)
		return false;
	for (; *id; id++)
		if (!is_digit(*id) && !(*id >= 'a' && *id <= 'f'))
			return false;
	return true;
}

/* The fields of a parsed network.json, checked: a record that names
 * another network or a subnet we would refuse is not used. */
static int record_to_network(struct json_object *o, const char *name, struct network *out,
			     struct berth_error *err)
{
	const char *nm = json_get_string(o, "Name"), *id = json_get_string(o, "Id"),
		   *sn = json_get_string(o, "Subnet");
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	if (!nm || strcmp(nm, name))
		return berth_error_set(err, 0, "network \"%s\": network.json names %s%s%s", name,
				       nm ? "\"" : "", nm ? nm : "no network", nm ? "\"" : "");
	if (!is_hex_id(id))
		return berth_error_set(err, 0, "network \"%s\": network.json: no valid Id", name);
	if (!sn)
		return berth_error_set(err, 0, "network \"%s\": network.json: no Subnet", name);
	if (network_parse_subnet(sn, &out->subnet, err) < 0)
		return berth_error_wrap(err, "network \"%s\": network.json", name);
	out->internal = json_object_object_get_ex(o, "Internal", &v) && json_object_get_boolean(v);
	memcpy(out->id, id, sizeof(out->id));
	out->name = xstrdup(name);
	return 0;
}

int network_load(struct store *s, const char *name, struct network *out, struct berth_error *err)
{
	_cleanup_json_ struct json_object *o = network_record(s, name, err);

	memset(out, 0, sizeof(*out));
	return o ? record_to_network(o, name, out, err) : -1;
}

int network_list(struct store *s, char ***names, size_t *n, struct berth_error *err)
{
	return named_list(s, "networks", network_exists, names, n, err);
}

static char *network_json(const char *name, const char *id, const struct net_subnet *sn,
			  bool internal, char **labels, size_t n_labels)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char when[32], subnet[SUBNET_STR_LEN];

	named_now(when, sizeof(when));
	subnet_str(sn, subnet, sizeof(subnet));
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Id", json_object_new_string(id));
	json_object_object_add(o, "Created", json_object_new_string(when));
	json_object_object_add(o, "Subnet", json_object_new_string(subnet));
	json_object_object_add(o, "Internal", json_object_new_boolean(internal));
	json_object_object_add(o, "Labels", named_labels(labels, n_labels));
	return xasprintf("%s\n",
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The subnets of the other networks (a record we cannot read names none:
 * that network cannot be used either). */
static int taken_subnets(struct store *s, struct network **out, size_t *n, struct berth_error *err)
{
	char **names = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (network_list(s, &names, &k, err) < 0) {
		strv_free(names);
		return -1;
	}
	*out = xcalloc(k + 1, sizeof(**out));
	for (size_t i = 0; i < k; i++) {
		struct berth_error e = { 0 };
		if (network_load(s, names[i], &(*out)[*n], &e) == 0)
			(*n)++;
		berth_error_clear(&e);
	}
	strv_free(names);
	return 0;
}

static void networks_free(struct network *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		network_clear(&v[i]);
	free(v);
}

/* The asked subnet, refused when another network's overlaps it; none
 * asked, the first 10.89.N.0/24 free (podman's range for user networks). */
static int choose_subnet(struct store *s, const char *name, const struct net_subnet *asked,
			 struct net_subnet *out, struct berth_error *err)
{
	struct network *nets;
	size_t n;
	int r = -1;

	if (taken_subnets(s, &nets, &n, err) < 0)
		return -1;
	for (unsigned k = 0; k < (asked ? 1u : 256u); k++) {
		struct net_subnet c =
			asked ? *asked : (struct net_subnet){ { htonl(0x0a590000u | k << 8) }, 24 };
		size_t i = 0;
		while (i < n && !subnets_overlap(&c, &nets[i].subnet))
			i++;
		if (i == n) {
			*out = c;
			r = 0;
			break;
		}
		if (asked) {
			char a[SUBNET_STR_LEN], b[SUBNET_STR_LEN];
			subnet_str(asked, a, sizeof(a));
			subnet_str(&nets[i].subnet, b, sizeof(b));
			berth_error_set(err, 0,
					"network \"%s\": subnet %s overlaps network %s's %s", name,
					a, nets[i].name, b);
		}
	}
	if (r < 0 && !asked)
		berth_error_set(err, 0,
				"network \"%s\": 10.89.0.0/24 to 10.89.255.0/24 are all taken "
				"(give it a subnet)",
				name);
	networks_free(nets, n);
	return r;
}

int network_create(struct store *s, const char *name, const struct net_subnet *subnet,
		   bool internal, char **labels, size_t n_labels, struct berth_error *err)
{
	_cleanup_close_ int nd = -1, td = -1;
	_cleanup_free_ char *js = NULL;
	struct net_subnet sn;
	char id[65], rnd[25], tmp[32];

	if (check_name(name, err) < 0)
		return -1;
	/* slirp4netns's own limit on its virtual network */
	if (subnet && !internal && subnet->prefix > 25)
		return berth_error_set(err, EINVAL,
				       "network \"%s\": subnet /%u: slirp4netns takes a /25 or "
				       "larger (a smaller one only with --internal)",
				       name, subnet->prefix);
	if ((nd = named_dir(s, "networks", true, err)) < 0)
		return -1;
	if (network_exists(s, name))
		return berth_error_set(err, EEXIST, "network \"%s\" already exists", name);
	if (choose_subnet(s, name, subnet, &sn, err) < 0 || named_random_hex(id, 64, err) < 0 ||
	    named_random_hex(rnd, 24, err) < 0)
		return -1;
	js = network_json(name, id, &sn, internal, labels, n_labels);
	/* built out of sight, renamed into place: whole or not at all */
	snprintf(tmp, sizeof(tmp), ".tmp-%s", rnd);
	if (mkdirat(nd, tmp, 0700) < 0)
		return berth_error_set(err, errno, "%s/networks/%s", s->root, tmp);
	td = openat(nd, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (td < 0)
		berth_error_set(err, errno, "%s/networks/%s", s->root, tmp);
	else if (write_file_atomic(td, "network.json", js, strlen(js), 0600, err) == 0 &&
		 renameat2(nd, tmp, nd, name, RENAME_NOREPLACE) == 0)
		return 0;
	else if (!err->msg && errno == EEXIST)
		berth_error_set(err, EEXIST, "network \"%s\" already exists", name);
	else if (!err->msg)
		berth_error_set(err, errno, "creating network \"%s\"", name);
	struct berth_error e = { 0 };
	rm_rf_at(nd, tmp, &e);
	berth_error_clear(&e);
	return -1;
}

/* docker's Containers: {ID: {Name, IPv4Address}} */
static struct json_object *members_json(const struct network_endpoint *eps, size_t n,
					const struct net_subnet *sn)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_new_object();
		char a[INET_ADDRSTRLEN], addr[SUBNET_STR_LEN];
		inet_ntop(AF_INET, &eps[i].addr, a, sizeof(a));
		snprintf(addr, sizeof(addr), "%s/%u", a, sn->prefix);
		json_object_object_add(c, "Name",
				       json_object_new_string(eps[i].name ? eps[i].name : ""));
		json_object_object_add(c, "IPv4Address", json_object_new_string(addr));
		json_object_object_add(o, eps[i].id, c);
	}
	return o;
}

/* A field of the record, or a fresh default when it has none. */
static struct json_object *record_field(struct json_object *rec, const char *key,
					struct json_object *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, key, &v))
		return dflt;
	json_object_put(dflt);
	return json_object_get(v);
}

struct json_object *network_inspect(struct store *s, const char *name,
				    const struct network_endpoint *eps, size_t n_eps,
				    struct berth_error *err)
{
	_cleanup_json_ struct json_object *rec = network_record(s, name, err);
	struct json_object *o, *ipam, *cfgs, *cfg;
	struct network n;
	char buf[SUBNET_STR_LEN];

	if (!rec || record_to_network(rec, name, &n, err) < 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Id", json_object_new_string(n.id));
	json_object_object_add(o, "Created",
			       record_field(rec, "Created", json_object_new_string("")));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "Driver", json_object_new_string("bridge"));
	ipam = json_object_new_object();
	cfgs = json_object_new_array();
	cfg = json_object_new_object();
	subnet_str(&n.subnet, buf, sizeof(buf));
	json_object_object_add(cfg, "Subnet", json_object_new_string(buf));
	/* internal: no slirp4netns, so no gateway to the host */
	if (!n.internal) {
		struct in_addr gw = network_host(&n.subnet, 2);
		inet_ntop(AF_INET, &gw, buf, sizeof(buf));
		json_object_object_add(cfg, "Gateway", json_object_new_string(buf));
	}
	json_object_array_add(cfgs, cfg);
	json_object_object_add(ipam, "Driver", json_object_new_string("default"));
	json_object_object_add(ipam, "Config", cfgs);
	json_object_object_add(o, "IPAM", ipam);
	json_object_object_add(o, "Internal", json_object_new_boolean(n.internal));
	json_object_object_add(o, "Containers", members_json(eps, n_eps, &n.subnet));
	json_object_object_add(o, "Labels", record_field(rec, "Labels", json_object_new_object()));
	network_clear(&n);
	return o;
}

int network_remove(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *what = xasprintf("network \"%s\"", name);

	/* out of sight first: a half-removed network is never joined */
	return named_remove_existing(s, "network", name, network_exists(s, name), what, NULL, err);
}
