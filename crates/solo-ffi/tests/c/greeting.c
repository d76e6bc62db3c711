/* A C embedder of solo: a worker serving compose_greeting (driven by callbacks, on solo's
 * runtime threads) and a client executing it (through the blocking waiter).
 *
 * usage: greeting ADDRESS TASK_QUEUE ACTIVITY_ID [ROUND_TRIPS]
 * prints "result: <json>" per the first execution, then "rss_kb <round> <kb>" samples when
 * ROUND_TRIPS > 1, and "done" after a clean shutdown. Exit status 0 on success. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solo.h"

static void die(const char *what, SoloError *e) {
    fprintf(stderr, "%s failed: kind %u code %d: %s\n", what, (unsigned)e->kind, e->code,
            e->message);
    solo_error_free(e);
    exit(1);
}

/* Blocks on a call through a waiter; returns its value, exits on error. */
static void *wait_for(SoloWaiter *w, const char *what, SoloError *refused) {
    if (refused) die(what, refused);
    void *value = NULL;
    SoloError *e = solo_waiter_wait(w, &value);
    if (e) die(what, e);
    return value;
}

/* Copies the string value of "key" from a flat JSON object (no escapes needed here). */
static int json_field(const char *json, size_t len, const char *key, char *out, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *end = json + len;
    const char *p = strstr(json, pattern);
    if (!p || p >= end) return 0;
    p = strchr(p + strlen(pattern), '"');
    if (!p || p >= end) return 0;
    const char *q = strchr(p + 1, '"');
    if (!q || q >= end || (size_t)(q - p - 1) >= cap) return 0;
    memcpy(out, p + 1, (size_t)(q - p - 1));
    out[q - p - 1] = 0;
    return 1;
}

static SoloWorker *worker;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stopped = PTHREAD_COND_INITIALIZER;
static int polling = 1;
static long served = 0;

static void on_polled(void *user_data, void *value, SoloError *error);

static void poll_next(void) {
    SoloError *e = solo_worker_poll(worker, NULL, on_polled, NULL);
    if (e) die("solo_worker_poll", e);
}

static void on_completed(void *user_data, void *value, SoloError *error) {
    (void)user_data;
    (void)value;
    if (error) die("solo_worker_complete", error);
    pthread_mutex_lock(&lock);
    served++;
    pthread_mutex_unlock(&lock);
    poll_next();
}

/* Runs on a solo runtime thread: serve the task, report it, and poll again once reported. */
static void on_polled(void *user_data, void *value, SoloError *error) {
    (void)user_data;
    if (error) {
        if (error->kind == SOLO_ERROR_KIND_SHUTDOWN) {
            solo_error_free(error);
            pthread_mutex_lock(&lock);
            polling = 0;
            pthread_cond_broadcast(&stopped);
            pthread_mutex_unlock(&lock);
            return;
        }
        die("solo_worker_poll (callback)", error);
    }
    if (!value) { /* the long poll expired without a task */
        poll_next();
        return;
    }
    SoloBuffer *task = value;
    SoloError *e = NULL;
    SoloBuffer *token = solo_task_field(task->data, task->len, SOLO_TASK_FIELD_TASK_TOKEN, &e);
    if (!token) die("solo_task_field(token)", e);
    SoloBuffer *input = solo_task_field(task->data, task->len, SOLO_TASK_FIELD_INPUT, &e);
    if (!input) die("solo_task_field(input)", e);
    SoloBuffer *arg = solo_payloads_json_at(input->data, input->len, 0, &e);
    if (!arg) die("solo_payloads_json_at", e);

    char greeting[128], name[128], result[300];
    if (!json_field((const char *)arg->data, arg->len, "greeting", greeting, sizeof greeting) ||
        !json_field((const char *)arg->data, arg->len, "name", name, sizeof name)) {
        fprintf(stderr, "unexpected input: %.*s\n", (int)arg->len, arg->data);
        exit(1);
    }
    snprintf(result, sizeof result, "\"%s, %s!\"", greeting, name);
    const char *values[1] = {result};
    SoloBuffer *payloads = solo_payloads_from_json(values, 1, &e);
    if (!payloads) die("solo_payloads_from_json", e);
    e = solo_worker_complete(worker, token->data, token->len, payloads->data, payloads->len, NULL,
                             on_completed, NULL);
    if (e) die("solo_worker_complete", e);
    /* Everything passed in was copied: free it now. */
    solo_buffer_free(payloads);
    solo_buffer_free(arg);
    solo_buffer_free(input);
    solo_buffer_free(token);
    solo_buffer_free(task);
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident * 4;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s ADDRESS TASK_QUEUE ACTIVITY_ID [ROUND_TRIPS]\n", argv[0]);
        return 2;
    }
    long rounds = argc > 4 ? atol(argv[4]) : 1;
    printf("solo %s\n", solo_version());

    SoloError *e = NULL;
    SoloRuntime *runtime = solo_runtime_new(2, &e);
    if (!runtime) die("solo_runtime_new", e);
    SoloWaiter *w = solo_waiter_new();

    SoloClientOptions options = {0};
    options.address = argv[1];
    options.namespace_ = "default";
    SoloClient *client =
        wait_for(w, "solo_client_connect",
                 solo_client_connect(runtime, &options, NULL, solo_waiter_callback, w));

    worker = solo_worker_new(client, argv[2], "c-embedder", &e);
    if (!worker) die("solo_worker_new", e);
    poll_next();

    const char *args[1] = {"{\"greeting\": \"Hello\", \"name\": \"World\"}"};
    SoloBuffer *input = solo_payloads_from_json(args, 1, &e);
    if (!input) die("solo_payloads_from_json", e);
    for (long i = 0; i < rounds; i++) {
        char id[256];
        snprintf(id, sizeof id, "%s-%ld", argv[3], i);
        SoloStartOptions start = {0};
        start.activity_id = id;
        start.activity_type = "compose_greeting";
        start.task_queue = argv[2];
        start.start_to_close_timeout_ms = 10000;
        SoloBuffer *result = wait_for(
            w, "solo_client_execute",
            solo_client_execute(client, &start, input->data, input->len, NULL,
                                solo_waiter_callback, w));
        SoloBuffer *json = solo_payloads_json_at(result->data, result->len, 0, &e);
        if (!json) die("solo_payloads_json_at(result)", e);
        if (i == 0) printf("result: %.*s\n", (int)json->len, json->data);
        solo_buffer_free(json);
        solo_buffer_free(result);
        if (rounds > 1 && (i % (rounds / 10 > 0 ? rounds / 10 : 1) == 0 || i == rounds - 1))
            printf("rss_kb %ld %ld\n", i + 1, rss_kb());
    }
    solo_buffer_free(input);

    /* Graceful stop: end the outstanding poll, wait for its callback, free everything. */
    wait_for(w, "solo_worker_shutdown", solo_worker_shutdown(worker, solo_waiter_callback, w));
    pthread_mutex_lock(&lock);
    while (polling) pthread_cond_wait(&stopped, &lock);
    printf("served %ld\n", served);
    pthread_mutex_unlock(&lock);
    solo_worker_free(worker);
    solo_client_free(client);
    solo_waiter_free(w);
    /* The last owner: shut down and wait for solo's threads, so no callback outlives main. */
    if (!solo_runtime_free_wait(runtime, 5000)) {
        fprintf(stderr, "solo_runtime_free_wait did not wait for the shutdown\n");
        return 1;
    }
    printf("done\n");
    return 0;
}
