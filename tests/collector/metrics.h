/*  metrics.h — the metric codes of data/criteria/default.ini, for the load
    generators that send observations the default catalogue accepts
    (tests/collector/client.c, bench/collector/bench.c).  One list: when the
    catalogue's metrics change, change them here. */
#ifndef CCHC_TESTS_METRICS_H
#define CCHC_TESTS_METRICS_H

/*  Use: static const char *s_metrics [] = { CCHC_TEST_METRICS }; */
#define CCHC_TEST_METRICS                                                                  \
    "tthc_received", "tthc_received_one_stop", "tthc_received_online", "tthc_postal",      \
        "tthc_resolved", "tthc_resolved_online", "tthc_resolved_on_time",                  \
        "tthc_resolved_late", "tthc_late_apologized", "tthc_procedures",                   \
        "tthc_procedures_published", "tthc_procedures_online", "tthc_procedures_national", \
        "feedback_received", "feedback_resolved", "survey_responses", "survey_satisfied",  \
        "docs_sent", "docs_sent_electronic", "workfiles", "workfiles_online",              \
        "legal_docs_issued", "legal_docs_proper", "par_tasks_planned", "par_tasks_done",   \
        "finance_tasks_planned", "finance_tasks_done", "staff_quota", "staff_actual",      \
        "training_planned", "training_done", "discipline_cases"

#endif
