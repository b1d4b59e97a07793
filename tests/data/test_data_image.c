/* The shared dataset image (worker/data/data_image.h): a dataset written
 * into a memory file maps back byte for byte under its key, another key
 * finds nothing, an empty file holds nothing, the sealed file refuses
 * writes, and a damaged one is refused. */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "data_image.h"
#include "testfs.h"

static void test_image(void) {
    BdSpec s;
    BdDataset d;
    BdError err = {0};
    CHECK(tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "channels", "3", "size", "8", "train", "50", "test", "7",
                   NULL) == 0);
    CHECK_MSG(bd_dataset_load(&s, &d, &err) == 0, "%s", err.msg);
    int fd = bd_data_image_create(&err);
    CHECK_MSG(fd >= 0, "%s", err.msg);
    BdDataImage img;
    CHECK(bd_data_image_map(fd, "synthetic", &img, &err) == 0); /* empty: holds nothing */
    CHECK_MSG(bd_data_image_write(fd, "synthetic(size=8)", &d, &err) == 0, "%s", err.msg);
    CHECK(bd_data_image_map(fd, "synthetic(size=9)", &img, &err) == 0); /* another dataset */
    CHECK(bd_data_image_map(fd, "synthetic(size=8)", &img, &err) == 1);
    const BdDataset *m = &img.data;
    CHECK(m->shape.c == 3 && m->shape.h == 8 && m->shape.w == 8 && m->shape.classes == d.shape.classes);
    CHECK(m->train.n == 50 && m->test.n == 7);
    CHECK(!memcmp(m->train.x, d.train.x, 50 * 3 * 64) && !memcmp(m->train.y, d.train.y, 50 * sizeof(int)));
    CHECK(!memcmp(m->test.x, d.test.x, 7 * 3 * 64) && !memcmp(m->test.y, d.test.y, 7 * sizeof(int)));
    CHECK(!memcmp(m->mean, d.mean, sizeof d.mean) && !memcmp(m->std, d.std, sizeof d.std));
    CHECK_STR(m->description, d.description);
    bd_data_image_unmap(&img);
    /* Sealed: no job can change it under the others. */
    CHECK(pwrite(fd, "x", 1, 100) < 0);
    CHECK(ftruncate(fd, 10) < 0);
    close(fd);

    /* A file of the wrong size is refused. */
    fd = bd_data_image_create(&err);
    CHECK(bd_data_image_write(fd, "k", &d, &err) == 0);
    int copy = bd_data_image_create(&err);
    char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    CHECK(n > 0 && write(copy, buf, (size_t)n) == n); /* its first 4 kB only */
    CHECK(bd_data_image_map(copy, "k", &img, &err) < 0);
    CHECK_CONTAINS(err.msg, "the dataset's shared image is damaged");
    close(fd);
    close(copy);
    bd_dataset_free(&d);
}

int main(void) {
    test_image();
    return check_result("data_image");
}
