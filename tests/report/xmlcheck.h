/* A small XML well-formedness check for the report's SVG files (libxml2 is
 * not a dependency): one root element of the expected name, properly nested
 * and closed tags, quoted attributes without '<', only the predefined or
 * numeric entities, nothing but white space outside the root. Returns NULL
 * when the text is well-formed, else a static message with the offset. */
#ifndef BD_XMLCHECK_H
#define BD_XMLCHECK_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int xml_name_char(int c) { return isalnum(c) || c == '-' || c == '_' || c == ':' || c == '.'; }

/* An entity at s ('&'): its length, or 0 when invalid. */
static size_t xml_entity(const char *s) {
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int i = 0; i < 5; i++)
        if (!strncmp(s, named[i], strlen(named[i]))) return strlen(named[i]);
    if (s[1] != '#') return 0;
    size_t i = 2;
    int hex = s[2] == 'x';
    if (hex) i++;
    size_t start = i;
    while (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])) i++;
    return i > start && s[i] == ';' ? i + 1 : 0;
}

static const char *xml_check(const char *text, const char *root) {
    static char msg[256];
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = text;
#define XML_FAIL(...) do { snprintf(msg, sizeof msg, __VA_ARGS__); return msg; } while (0)
    while (*p) {
        if (*p != '<') {
            if (depth == 0 && !isspace((unsigned char)*p))
                XML_FAIL("text outside the root at offset %ld", (long)(p - text));
            if (*p == '&' && !xml_entity(p)) XML_FAIL("bad entity at offset %ld", (long)(p - text));
            if (*p == '>') XML_FAIL("stray '>' at offset %ld", (long)(p - text));
            p++;
            continue;
        }
        if (!strncmp(p, "<?", 2)) {
            if (p != text) XML_FAIL("processing instruction not at the start (offset %ld)", (long)(p - text));
            const char *e = strstr(p, "?>");
            if (!e) XML_FAIL("unclosed <?");
            p = e + 2;
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p + 4, "-->");
            if (!e) XML_FAIL("unclosed comment");
            p = e + 3;
            continue;
        }
        int closing = p[1] == '/';
        const char *n = p + 1 + closing;
        size_t len = 0;
        while (xml_name_char((unsigned char)n[len])) len++;
        if (!len || len >= 64) XML_FAIL("bad tag name at offset %ld", (long)(p - text));
        char name[64];
        memcpy(name, n, len);
        name[len] = '\0';
        p = n + len;
        if (closing) {
            while (isspace((unsigned char)*p)) p++;
            if (*p != '>') XML_FAIL("bad closing tag </%s at offset %ld", name, (long)(p - text));
            if (!depth || strcmp(stack[depth - 1], name))
                XML_FAIL("</%s> closes %s", name, depth ? stack[depth - 1] : "nothing");
            depth--;
            p++;
            continue;
        }
        /* attributes */
        char seen[32][64];
        int n_seen = 0;
        for (;;) {
            while (isspace((unsigned char)*p)) p++;
            if (*p == '>' || (*p == '/' && p[1] == '>')) break;
            size_t al = 0;
            while (xml_name_char((unsigned char)p[al])) al++;
            if (!al || al >= 64) XML_FAIL("bad attribute in <%s> at offset %ld", name, (long)(p - text));
            char an[64];
            memcpy(an, p, al);
            an[al] = '\0';
            for (int i = 0; i < n_seen; i++)
                if (!strcmp(seen[i], an)) XML_FAIL("attribute %s twice in <%s>", an, name);
            if (n_seen < 32) snprintf(seen[n_seen++], 64, "%s", an);
            p += al;
            if (*p != '=' || (p[1] != '"' && p[1] != '\'')) XML_FAIL("unquoted attribute %s in <%s>", an, name);
            char q = p[1];
            p += 2;
            while (*p && *p != q) {
                if (*p == '<') XML_FAIL("'<' in attribute %s of <%s>", an, name);
                if (*p == '&' && !xml_entity(p)) XML_FAIL("bad entity in attribute %s of <%s>", an, name);
                p++;
            }
            if (!*p) XML_FAIL("unterminated attribute %s", an);
            p++;
        }
        if (depth == 0) {
            if (roots++) XML_FAIL("a second root element <%s>", name);
            if (strcmp(name, root)) XML_FAIL("the root is <%s>, expected <%s>", name, root);
        }
        if (*p == '/') {
            p += 2;
            continue;
        }
        if (depth == 64) XML_FAIL("nested too deep");
        snprintf(stack[depth++], 64, "%s", name);
        p++;
    }
    if (depth) XML_FAIL("<%s> is not closed", stack[depth - 1]);
    if (!roots) XML_FAIL("no root element");
    return NULL;
#undef XML_FAIL
}

#endif
