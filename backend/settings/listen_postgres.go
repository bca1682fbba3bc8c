package settings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// listenCheck is how long a listening connection may stay quiet before it
// is checked (a ping): a server gone without closing the connection, or a
// network partition, would otherwise leave this process waiting for
// notifications that never come, its caches out of date. A variable so
// that a test can make it short.
var listenCheck = 10 * time.Second

// ListenPostgres returns the ListenFunc of the PostgreSQL database at url:
// each call opens a connection of its own (not one of the store's pool: a
// LISTEN belongs to one session) and listens on the channel of the schema
// it works in (ChannelPrefix and current_schema(), as the triggers name it).
func ListenPostgres(url string) ListenFunc {
	return func(ctx context.Context) (Notifications, error) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("connect to listen for changes: %w", err)
		}
		var channel string
		err = conn.QueryRow(ctx, "SELECT $1::text || current_schema()", ChannelPrefix).Scan(&channel)
		if err == nil {
			// Named after its channel in pg_stat_activity.
			_, err = conn.Exec(ctx, "SET application_name = "+quoteLiteral(channel))
		}
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
		}
		if err != nil {
			closeConn(conn)
			return nil, fmt.Errorf("listen for changes: %w", err)
		}
		return &pgxNotifications{conn: conn}, nil
	}
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func closeConn(conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return conn.Close(ctx)
}

type pgxNotifications struct{ conn *pgx.Conn }

// Receive waits for the next notification, checking the connection each
// time it has been quiet for listenCheck.
func (n *pgxNotifications) Receive(ctx context.Context) (string, error) {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		note, err := n.conn.WaitForNotification(wctx)
		cancel()
		if err == nil {
			return note.Payload, nil
		}
		if ctx.Err() != nil || !pgconn.Timeout(err) || n.conn.IsClosed() {
			return "", err
		}
		pctx, cancel := context.WithTimeout(ctx, listenCheck)
		err = n.conn.Ping(pctx)
		cancel()
		if err != nil {
			return "", fmt.Errorf("the listening connection stopped answering: %w", err)
		}
	}
}

func (n *pgxNotifications) Close() error { return closeConn(n.conn) }
