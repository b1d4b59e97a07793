/* The architecture registry (docs/EXPERIMENT.md section 5). */
#include "models.h"
#include "nasnet.h"

static const BdParamDef cnn_small_params[] = {
    {"conv1", BD_PARAM_INT, "32", 1, 4096, NULL, "filters of the first 3x3 convolution"},
    {"conv2", BD_PARAM_INT, "64", 1, 4096, NULL, "filters of the second 3x3 convolution"},
    {"fc", BD_PARAM_INT, "128", 1, 65536, NULL, "width of the hidden fully connected layer"},
    {"dropout", BD_PARAM_FLOAT, "0", 0, 0.99, NULL, "dropout before the classifier"},
    {0},
};

static const BdParamDef resnet20_params[] = {
    {"blocks", BD_PARAM_INT, "3", 1, 64, NULL, "basic blocks per stage (depth = 6 * blocks + 2)"},
    {"width", BD_PARAM_INT, "16", 1, 1024, NULL, "filters of the first stage (doubled at each stage)"},
    {0},
};

static const BdParamDef resnet50_params[] = {
    {"depth", BD_PARAM_INT_LIST, "[3,4,6,3]", 1, 64, NULL, "bottleneck blocks per stage"},
    {"width", BD_PARAM_FLOAT, "1", 0.01, 8, NULL, "multiplier of the stage widths 64/128/256/512"},
    {"stem", BD_PARAM_ENUM, "auto", BD_ANY, "auto|imagenet|cifar",
     "imagenet: 7x7/2 conv + 3x3/2 max-pool; cifar: 3x3/1 conv; auto: cifar for images up to 64 px"},
    {0},
};

#define NASNET_PARAMS(cells, filters, stem, mult, skip)                                                   \
    {"cells", BD_PARAM_INT, cells, 1, 32, NULL, "normal cells per stack (N)"},                                    \
    {"filters", BD_PARAM_INT, filters, 1, 4096, NULL, "filters of the first stack (F), doubled at each reduction"}, \
    {"stem", BD_PARAM_ENUM, stem, BD_ANY, "imagenet|cifar",                                                 \
     "imagenet: 3x3/2 conv and two reduction cells; cifar: 3x3 conv"},                                      \
    {"stem_multiplier", BD_PARAM_INT, mult, 1, 16, NULL, "stem convolution filters: 32 * stem_multiplier (imagenet stem), stem_multiplier * F (cifar stem), as TF-slim"},       \
    {"dropout", BD_PARAM_FLOAT, "0", 0, 0.99, NULL, "dropout before the classifier"},                        \
    {"skip_reduction_input", BD_PARAM_BOOL, skip, BD_ANY, NULL,                                             \
     "the older input of the cell after a reduction is the cell two before it (TF's Large), not the one just before"}

static const BdParamDef nasnet_mobile_params[] = {NASNET_PARAMS("4", "44", "imagenet", "1", "false"), {0}};
static const BdParamDef nasnet_large_params[] = {NASNET_PARAMS("6", "168", "imagenet", "3", "true"), {0}};
static const BdParamDef nasnet_cifar_params[] = {NASNET_PARAMS("6", "32", "cifar", "3", "false"), {0}};

const BdPreset bd_arch_presets[] = {
    {"cnn-small", "conv3x3-relu-maxpool x2, fc, fc", cnn_small_params, NULL, &bd_cnn_small_impl},
    {"resnet20", "CIFAR ResNet (He et al. 2016): 3 stages of basic blocks 16/32/64", resnet20_params, NULL,
     &bd_resnet20_impl},
    {"resnet50", "ResNet-50: bottleneck stages [3,4,6,3], expansion 4", resnet50_params, NULL, &bd_resnet50_impl},
    {"nasnet-a-mobile", "NASNet-A Mobile (Zoph et al. 2018): N=4, F=44, ImageNet stem", nasnet_mobile_params,
     bd_nasnet_check, &bd_nasnet_impl},
    {"nasnet-a-large", "NASNet-A Large: N=6, F=168, stem multiplier 3", nasnet_large_params, bd_nasnet_check,
     &bd_nasnet_impl},
    {"nasnet-a-cifar", "NASNet-A for CIFAR: N=6, F=32, 3x3 conv stem", nasnet_cifar_params, bd_nasnet_check,
     &bd_nasnet_impl},
    {0},
};
