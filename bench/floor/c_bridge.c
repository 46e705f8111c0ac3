/* The floors of scripts/bench --vm: the least a GPIO -> MQTT bridge can cost on this kernel.
 *
 *   c_bridge CHIP OFFSET RECORD                 kernel reader only: no MQTT
 *   c_bridge CHIP OFFSET RECORD HOST PORT TOPIC minimal bridge: "ON"/"OFF" on TOPIC at QoS 0
 *   paho_bridge CHIP OFFSET RECORD HOST PORT TOPIC VERSION
 *                                               the same over paho.mqtt.c (MQTT VERSION 4 or 5)
 *
 * One thread, one poll loop, libgpiod and libmosquitto without its own thread. It requests both
 * edges of line OFFSET of the chip device CHIP, reads every pending event per wake-up, and on
 * SIGTERM writes "<rising> <read_ns> <kernel_ns>" per event to RECORD (read_ns: CLOCK_MONOTONIC
 * when read) and exits 0. It says it is ready by creating RECORD.ready (reader) or publishing
 * {"status":"On"} on bench/status once connected (bridge), so the bench starts the edges only
 * then. A yardstick, not part of the daemon.
 *
 * libgpiod 1.x (Debian 12: uAPI v1, one event fd per line) and 2.x (Debian 13: uAPI v2, one fd
 * per request) share no API: bench/CMakeLists.txt defines C_BRIDGE_GPIOD_V2 for 2.x, and
 * request_line() and read_events() are written for each as its users would.
 *
 * paho_bridge (C_BRIDGE_PAHO) is this bridge with paho.mqtt.c's MQTTAsync, the library under
 * paho.mqtt.cpp and so under gpio2mqtt, in place of libmosquitto: the loop polls the line only, and
 * each publish is queued for paho's send thread, which writes it. It is what any program pays that
 * publishes through paho, so gpio2mqtt's figures can be told apart from its library's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#ifdef C_BRIDGE_PAHO
#include <MQTTAsync.h>
#else
#include <mosquitto.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS (1u << 20)
#define BATCH 16 /* events per read */

struct edge {
  int rising;
  uint64_t kernel_ns;
};

struct record {
  int rising;
  uint64_t read_ns, kernel_ns;
};

static struct record *records;
static size_t recorded;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what) {
  fprintf(stderr, "c_bridge: %s: %s\n", what, strerror(errno));
  return 1;
}

#ifdef C_BRIDGE_GPIOD_V2
static struct gpiod_line_request *request;
static struct gpiod_edge_event_buffer *buffer;

/* Both edges of line OFFSET of CHIP: the fd to poll, or -1. */
static int request_line(const char *chip_path, unsigned offset) {
  struct gpiod_chip *chip = gpiod_chip_open(chip_path);
  struct gpiod_line_settings *settings = gpiod_line_settings_new();
  struct gpiod_line_config *line_config = gpiod_line_config_new();
  struct gpiod_request_config *request_config = gpiod_request_config_new();
  buffer = gpiod_edge_event_buffer_new(BATCH);
  if (!chip || !settings || !line_config || !request_config || !buffer ||
      gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_BOTH) < 0 ||
      gpiod_line_config_add_line_settings(line_config, &offset, 1, settings) < 0)
    return -1; /* the process exits: nothing to free */
  gpiod_request_config_set_consumer(request_config, "c_bridge");
  request = gpiod_chip_request_lines(chip, request_config, line_config);
  gpiod_request_config_free(request_config);
  gpiod_line_config_free(line_config);
  gpiod_line_settings_free(settings);
  gpiod_chip_close(chip); /* the request does not need it */
  return request ? gpiod_line_request_get_fd(request) : -1;
}

/* Up to BATCH pending events into EDGES: how many, or -1 (EAGAIN when none is pending). */
static int read_events(int fd, struct edge *edges) {
  (void)fd;
  int n = gpiod_line_request_read_edge_events(request, buffer, BATCH);
  for (int i = 0; i < n; ++i) {
    struct gpiod_edge_event *event = gpiod_edge_event_buffer_get_event(buffer, (unsigned long)i);
    edges[i] = (struct edge){gpiod_edge_event_get_event_type(event) == GPIOD_EDGE_EVENT_RISING_EDGE,
                             gpiod_edge_event_get_timestamp_ns(event)};
  }
  return n;
}

static void release_line(void) {
  gpiod_line_request_release(request);
  gpiod_edge_event_buffer_free(buffer);
}
#else
static struct gpiod_chip *chip;
static struct gpiod_line *line;

/* Both edges of line OFFSET of CHIP: the fd to poll, or -1. */
static int request_line(const char *chip_path, unsigned offset) {
  chip = gpiod_chip_open(chip_path);
  if (!chip) return -1;
  line = gpiod_chip_get_line(chip, offset);
  if (!line || gpiod_line_request_both_edges_events(line, "c_bridge") < 0) return -1;
  return gpiod_line_event_get_fd(line);
}

/* Up to BATCH pending events into EDGES: how many, or -1 (EAGAIN when none is pending). */
static int read_events(int fd, struct edge *edges) {
  struct gpiod_line_event events[BATCH];
  int n = gpiod_line_event_read_fd_multiple(fd, events, BATCH);
  for (int i = 0; i < n; ++i)
    edges[i] = (struct edge){events[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
                             (uint64_t)events[i].ts.tv_sec * 1000000000u + (uint64_t)events[i].ts.tv_nsec};
  return n;
}

static void release_line(void) {
  gpiod_line_release(line);
  gpiod_chip_close(chip);
}
#endif

static const char *topic; /* argv[6] */

#ifdef C_BRIDGE_PAHO
#define BRIDGE_ARGS 8
static MQTTAsync client;

static void publish(const char *to, const char *payload) {
  MQTTAsync_message message = MQTTAsync_message_initializer;
  message.payload = (void *)payload;
  message.payloadlen = (int)strlen(payload);
  MQTTAsync_sendMessage(client, to, &message, NULL);
}

static void on_connect(void *context, MQTTAsync_successData *response) {
  (void)context, (void)response;
  publish("bench/status", "{\"status\":\"On\"}");
}

static void on_connect5(void *context, MQTTAsync_successData5 *response) {
  (void)context, (void)response;
  publish("bench/status", "{\"status\":\"On\"}");
}

static int mqtt_start(char **argv) {
  char uri[512];
  int version = atoi(argv[7]) == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  snprintf(uri, sizeof uri, "tcp://%s:%s", argv[4], argv[5]);
  topic = argv[6];
  MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
  create.MQTTVersion = version;
  if (MQTTAsync_createWithOptions(&client, uri, "paho_bridge", MQTTCLIENT_PERSISTENCE_NONE, NULL, &create) !=
      MQTTASYNC_SUCCESS)
    return -1;
  MQTTAsync_connectOptions connect = MQTTAsync_connectOptions_initializer;
  MQTTAsync_connectOptions connect5 = MQTTAsync_connectOptions_initializer5;
  if (version == MQTTVERSION_5) {
    connect = connect5;
    connect.onSuccess5 = on_connect5;
  } else {
    connect.MQTTVersion = version;
    connect.onSuccess = on_connect;
  }
  connect.keepAliveInterval = 60;
  return MQTTAsync_connect(client, &connect) == MQTTASYNC_SUCCESS ? 0 : -1;
}

static void mqtt_publish(int rising) { publish(topic, rising ? "ON" : "OFF"); }
static int mqtt_fd(void) { return -1; } /* paho's threads watch the socket */
static short mqtt_events(void) { return 0; }
static void mqtt_after_poll(short revents) { (void)revents; }

static void mqtt_stop(void) {
  MQTTAsync_disconnectOptions disconnect = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect(client, &disconnect);
  MQTTAsync_destroy(&client);
}
#else
#define BRIDGE_ARGS 7
static struct mosquitto *mosq;

static void on_connect(struct mosquitto *m, void *context, int rc) {
  (void)context;
  if (rc == 0) mosquitto_publish(m, NULL, "bench/status", 15, "{\"status\":\"On\"}", 0, false);
}

static int mqtt_start(char **argv) {
  topic = argv[6];
  mosquitto_lib_init();
  mosq = mosquitto_new("c_bridge", true, NULL);
  if (!mosq) return -1;
  mosquitto_connect_callback_set(mosq, on_connect);
  return mosquitto_connect(mosq, argv[4], atoi(argv[5]), 60) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void mqtt_publish(int rising) {
  mosquitto_publish(mosq, NULL, topic, rising ? 2 : 3, rising ? "ON" : "OFF", 0, false);
}

static int mqtt_fd(void) { return mosquitto_socket(mosq); }
static short mqtt_events(void) { return POLLIN | (mosquitto_want_write(mosq) ? POLLOUT : 0); }

static void mqtt_after_poll(short revents) {
  if (revents & POLLIN) mosquitto_loop_read(mosq, 1);
  if (revents & POLLOUT) mosquitto_loop_write(mosq, 1);
  mosquitto_loop_misc(mosq);
}

static void mqtt_stop(void) {
  mosquitto_disconnect(mosq);
  mosquitto_destroy(mosq);
  mosquitto_lib_cleanup();
}
#endif

static int write_records(const char *path) {
  FILE *out = fopen(path, "w");
  if (!out) return fail(path);
  for (size_t i = 0; i < recorded; ++i)
    fprintf(out, "%d %llu %llu\n", records[i].rising, (unsigned long long)records[i].read_ns,
            (unsigned long long)records[i].kernel_ns);
  return fclose(out) == 0 ? 0 : fail(path);
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != BRIDGE_ARGS) {
#ifdef C_BRIDGE_PAHO
    fprintf(stderr, "usage: paho_bridge CHIP OFFSET RECORD [HOST PORT TOPIC VERSION]\n");
#else
    fprintf(stderr, "usage: c_bridge CHIP OFFSET RECORD [HOST PORT TOPIC]\n");
#endif
    return 64;
  }
  const char *record_path = argv[3];
  int bridge = argc == BRIDGE_ARGS;
  records = calloc(MAX_RECORDS, sizeof *records);
  if (!records) return fail("calloc");

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (signal_fd < 0) return fail("signalfd");

  int event_fd = request_line(argv[1], (unsigned)atoi(argv[2]));
  if (event_fd < 0) return fail("requesting the line");
  /* Read until the queue is empty without polling again in between. */
  fcntl(event_fd, F_SETFL, fcntl(event_fd, F_GETFL) | O_NONBLOCK);

  if (bridge) {
    if (mqtt_start(argv) < 0) return fail("connecting");
  } else {
    char ready[4096];
    snprintf(ready, sizeof ready, "%s.ready", record_path);
    int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(ready);
    close(fd);
  }

  for (;;) {
    struct pollfd fds[3] = {{signal_fd, POLLIN, 0}, {event_fd, POLLIN, 0}, {-1, 0, 0}};
    if (bridge) {
      fds[2].fd = mqtt_fd();
      fds[2].events = mqtt_events();
    }
    if (poll(fds, 3, 1000) < 0 && errno != EINTR) return fail("poll");
    if (fds[0].revents) break;
    if (fds[1].revents) {
      struct edge edges[BATCH];
      int n;
      while ((n = read_events(event_fd, edges)) > 0) {
        uint64_t read_ns = now_ns();
        for (int i = 0; i < n; ++i) {
          int rising = edges[i].rising;
          if (recorded < MAX_RECORDS) records[recorded++] = (struct record){rising, read_ns, edges[i].kernel_ns};
          if (bridge) mqtt_publish(rising);
        }
        if (n < BATCH) break;
      }
      if (n < 0 && errno != EAGAIN) return fail("reading events");
    }
    if (bridge) mqtt_after_poll(fds[2].revents);
  }
  if (bridge) mqtt_stop();
  release_line();
  return write_records(record_path);
}
