/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where and how a pod's app logs are kept: the one description shared by their writer (the
 * native stage1, src/stage1/common/log-writer.h) and their reader (the pod module,
 * src/pod/pod-logs.c). Constants only.
 *
 * P/logs/<app>.log holds the app's stdout and stderr, one record per line in Kubernetes' CRI
 * log format: "<RFC 3339 nano time> <stdout|stderr> <F|P> <content>\n", where P marks a part
 * of a line longer than APP_LOG_LINE_MAX and F the end of a line. A file that would grow
 * beyond APP_LOG_FILE_MAX is renamed to <app>.log.1 (replacing the previous one). P/logs
 * exists only for pods whose apps are logged (native stage1, not --interactive).
 */
#pragma once

#define APP_LOG_DIR         "logs"
#define APP_LOG_SUFFIX      ".log"
#define APP_LOG_OLD_SUFFIX  ".log.1"
#define APP_LOG_FILE_MAX    (10u << 20)
#define APP_LOG_LINE_MAX    (16u << 10)
#define APP_LOG_STDOUT      "stdout"
#define APP_LOG_STDERR      "stderr"
#define APP_LOG_TAG_FULL    'F'
#define APP_LOG_TAG_PARTIAL 'P'
