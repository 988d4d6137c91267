/* ImageFolder: root/<class>/.../<file>, in torchvision's order: classes are
 * the sorted names of root's subfolders; each class folder is walked
 * recursively (following links), the folders in sorted path order
 * (Python's sorted(os.walk(...))) and the files of each folder sorted by
 * name. Names compare as bytes, which for UTF-8 is Python's code point
 * order. */
#include "data_image.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const default_exts[] = {".jpg", ".jpeg", ".png", ".ppm", ".bmp",
                                           ".pgm", ".tif", ".tiff", ".webp"};

typedef struct strvec {
    char **v;
    int64_t n, cap;
} strvec;

static int sv_push(strvec *s, char *str) {
    if (!str) return -1;
    if (s->n == s->cap) {
        int64_t nc = s->cap ? s->cap * 2 : 16;
        char **nv = realloc(s->v, sizeof(char *) * (size_t)nc);
        if (!nv) {
            free(str);
            return -1;
        }
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = str;
    return 0;
}

static void sv_free(strvec *s) {
    for (int64_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/') s[k++] = '/';
    memcpy(s + k, b, lb + 1);
    return s;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode); /* follows links, like entry.is_dir() */
}

/* Subfolders (dirs = true) or other entries (files) of path, names only. */
static int list_dir(const char *path, strvec *dirs, strvec *files) {
    DIR *d = opendir(path);
    if (!d) return 1; /* os.walk skips folders it cannot open */
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *full = join(path, e->d_name);
        if (!full) {
            rc = -1;
            break;
        }
        bool dir = is_dir(full);
        free(full);
        strvec *to = dir ? dirs : files;
        if (to) rc = sv_push(to, strdup(e->d_name));
    }
    closedir(d);
    return rc;
}

/* Every folder under top (top included) into out, as full paths; depth
 * capped so that a link loop ends. */
static int walk_dirs(const char *top, strvec *out, int depth) {
    if (sv_push(out, strdup(top)) < 0) return -1;
    if (depth > 64) return 0;
    strvec sub = {0};
    int rc = list_dir(top, &sub, NULL);
    for (int64_t i = 0; rc >= 0 && i < sub.n; i++) {
        char *p = join(top, sub.v[i]);
        rc = p ? walk_dirs(p, out, depth + 1) : -1;
        free(p);
    }
    sv_free(&sub);
    return rc < 0 ? -1 : 0;
}

typedef struct folder_ds {
    strvec classes, paths;
    int64_t *targets;
    ct_image_mode mode;
    ct_transform tf;
} folder_ds;

static int64_t folder_length(const ct_dataset *ds) {
    const folder_ds *c = ds->ctx;
    return c->paths.n;
}

static int folder_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    folder_ds *c = ds->ctx;
    ct_tensor *img = ct__image_read_owned(c->paths.v[index], c->mode);
    if (!img) return -1;
    if (c->tf.apply) {
        ct_tensor *y = c->tf.apply(c->tf.ctx, img, NULL);
        ct_release(img);
        if (!y) return -1;
        img = y;
    }
    ct_tensor *t = ct__empty(NULL, 0, CT_INT64);
    if (!t) {
        ct_release(img);
        return -1;
    }
    *(int64_t *)ct_data_ptr(t) = c->targets[index];
    out[0] = img;
    out[1] = t;
    return 0;
}

static void folder_free_ctx(folder_ds *c) {
    sv_free(&c->classes);
    sv_free(&c->paths);
    free(c->targets);
    ct_transform_free(c->tf);
    free(c);
}

static void folder_free(ct_dataset *ds) { folder_free_ctx(ds->ctx); }

static const ct_dataset_vtable folder_vt = {"ImageFolder", folder_length, folder_get, folder_free};

static bool has_ext(const char *name, const char *const *exts, int n) {
    size_t ln = strlen(name);
    for (int i = 0; i < n; i++) {
        size_t le = strlen(exts[i]);
        if (le <= ln && strcasecmp(name + ln - le, exts[i]) == 0) return true;
    }
    return false;
}

/* Scans root into c; -1 with an error. */
static int scan(folder_ds *c, const char *root, const char *const *exts, int next) {
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        ct_set_error(CT_ERR_RUNTIME, "ImageFolder: [Errno 2] No such file or directory: '%s'", root);
        return -1;
    }
    if (list_dir(root, &c->classes, NULL) != 0) {
        ct_set_error(CT_ERR_RUNTIME, "ImageFolder: cannot list %s", root);
        return -1;
    }
    if (c->classes.n == 0) {
        ct_set_error(CT_ERR_RUNTIME, "Couldn't find any class folder in %s.", root);
        return -1;
    }
    qsort(c->classes.v, (size_t)c->classes.n, sizeof(char *), cmp_str);
    int64_t cap_t = 0;
    char empty[1024] = "";
    for (int64_t k = 0; k < c->classes.n; k++) {
        char *top = join(root, c->classes.v[k]);
        strvec dirs = {0};
        if (!top || walk_dirs(top, &dirs, 0) < 0) {
            free(top);
            sv_free(&dirs);
            ct_set_error(CT_ERR_MEMORY, "ImageFolder: out of memory");
            return -1;
        }
        free(top);
        qsort(dirs.v, (size_t)dirs.n, sizeof(char *), cmp_str);
        int64_t before = c->paths.n;
        int rc = 0;
        for (int64_t d = 0; rc == 0 && d < dirs.n; d++) {
            strvec files = {0};
            rc = list_dir(dirs.v[d], NULL, &files) < 0 ? -1 : 0;
            qsort(files.v, (size_t)files.n, sizeof(char *), cmp_str);
            for (int64_t f = 0; rc == 0 && f < files.n; f++) {
                if (!has_ext(files.v[f], exts, next)) continue;
                if (c->paths.n == cap_t) {
                    cap_t = cap_t ? cap_t * 2 : 64;
                    int64_t *nt = realloc(c->targets, sizeof(int64_t) * (size_t)cap_t);
                    if (!nt) rc = -1;
                    else c->targets = nt;
                }
                if (rc == 0) {
                    c->targets[c->paths.n] = k;
                    rc = sv_push(&c->paths, join(dirs.v[d], files.v[f]));
                }
            }
            sv_free(&files);
        }
        sv_free(&dirs);
        if (rc < 0) {
            ct_set_error(CT_ERR_MEMORY, "ImageFolder: out of memory");
            return -1;
        }
        if (c->paths.n == before)
            snprintf(empty + strlen(empty), sizeof empty - strlen(empty), "%s%s",
                     empty[0] ? ", " : "", c->classes.v[k]);
    }
    if (empty[0]) {
        char extl[512] = "";
        for (int i = 0; i < next; i++)
            snprintf(extl + strlen(extl), sizeof extl - strlen(extl), "%s%s", i ? ", " : "",
                     exts[i]);
        ct_set_error(CT_ERR_RUNTIME, "Found no valid file for the classes %s. Supported extensions "
                     "are: %s", empty, extl);
        return -1;
    }
    return 0;
}

ct_dataset *ct_image_folder(const char *root, const char *const *extensions, int nextensions,
                            ct_image_mode mode, ct_transform tf) {
    if (!root) {
        ct_transform_free(tf);
        return CT_DFAIL(CT_ERR_VALUE, "ImageFolder: root is NULL");
    }
    if ((int)mode < CT_IMAGE_UNCHANGED || (int)mode > CT_IMAGE_RGB_ALPHA) {
        ct_transform_free(tf);
        return CT_DFAIL(CT_ERR_VALUE, "ImageFolder: unknown image mode %d", (int)mode);
    }
    if (!extensions || nextensions <= 0) {
        extensions = default_exts;
        nextensions = (int)(sizeof default_exts / sizeof *default_exts);
    }
    folder_ds *c = calloc(1, sizeof *c);
    if (!c) {
        ct_transform_free(tf);
        return CT_DFAIL(CT_ERR_MEMORY, "ImageFolder: out of memory");
    }
    c->mode = mode;
    c->tf = tf;
    ct_dataset *ds = NULL;
    if (scan(c, root, extensions, nextensions) < 0 || !(ds = ct_dataset_new(&folder_vt, 2, c))) {
        folder_free_ctx(c);
        return NULL;
    }
    return ds;
}

static folder_ds *folder_of(const ct_dataset *ds, const char *fn) {
    if (!ds || ds->vt != &folder_vt) {
        ct_set_error(CT_ERR_TYPE, "%s: the dataset is not an ImageFolder", fn);
        return NULL;
    }
    return ds->ctx;
}

int64_t ct_image_folder_num_classes(const ct_dataset *ds) {
    folder_ds *c = folder_of(ds, "image_folder_num_classes");
    return c ? c->classes.n : -1;
}

const char *ct_image_folder_class(const ct_dataset *ds, int64_t i) {
    folder_ds *c = folder_of(ds, "image_folder_class");
    if (!c) return NULL;
    if (i < 0 || i >= c->classes.n)
        return CT_DFAIL(CT_ERR_INDEX, "image_folder_class: index %lld is out of range for %lld "
                        "classes", (long long)i, (long long)c->classes.n);
    return c->classes.v[i];
}

int64_t ct_image_folder_class_to_idx(const ct_dataset *ds, const char *name) {
    folder_ds *c = folder_of(ds, "image_folder_class_to_idx");
    if (!c) return -1;
    for (int64_t i = 0; name && i < c->classes.n; i++)
        if (!strcmp(c->classes.v[i], name)) return i;
    ct_set_error(CT_ERR_INDEX, "image_folder_class_to_idx: no class '%s'", name ? name : "(null)");
    return -1;
}

const char *ct_image_folder_path(const ct_dataset *ds, int64_t i) {
    folder_ds *c = folder_of(ds, "image_folder_path");
    if (!c) return NULL;
    if (i < 0 || i >= c->paths.n)
        return CT_DFAIL(CT_ERR_INDEX, "image_folder_path: index %lld is out of range for %lld "
                        "samples", (long long)i, (long long)c->paths.n);
    return c->paths.v[i];
}

int64_t ct_image_folder_target(const ct_dataset *ds, int64_t i) {
    folder_ds *c = folder_of(ds, "image_folder_target");
    if (!c) return -1;
    if (i < 0 || i >= c->paths.n) {
        ct_set_error(CT_ERR_INDEX, "image_folder_target: index %lld is out of range for %lld "
                     "samples", (long long)i, (long long)c->paths.n);
        return -1;
    }
    return c->targets[i];
}
