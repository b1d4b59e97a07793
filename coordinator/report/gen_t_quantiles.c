/* Prints the T_QUANTILES_VIEW macro of coordinator/db/db_schema.c: the view
 * `t_quantiles` of the 0.975 quantiles of Student's t at the tabulated degrees
 * of freedom (tdist.c). Run after changing the table, and paste its output
 * over the macro:
 *   build/coordinator/report/gen_t_quantiles
 * tests/report/test_views checks the committed text against tdist.c. */
#include <stdio.h>

#include "tdist.h"

int main(void) {
    printf("#define T_QUANTILES_VIEW \\\n");
    printf("    \"CREATE VIEW t_quantiles(df, q975) AS VALUES\\n\" \\\n");
    for (int i = 0; i < bd_t_table_n; i++) {
        int last = i + 1 == bd_t_table_n, end_of_line = i % 4 == 3;
        printf("%s(%d, %.15g)", i % 4 == 0 ? "    \"" : "", bd_t_table_df[i], bd_t_quantile(0.975, bd_t_table_df[i]));
        printf("%s", last ? "\"\n" : end_of_line ? ",\\n\" \\\n" : ", ");
    }
    return 0;
}
