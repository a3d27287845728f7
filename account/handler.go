package account

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/store/redisstore"
)

// maxBody bounds a request body; a larger one is bad_message.
const maxBody = 8 << 10

// Route is one endpoint (httpauth.Route).
type Route = httpauth.Route

// Handler serves the account API (docs/http-api.md).
type Handler struct {
	svc *Service
	ips clientip.Resolver
	log *slog.Logger
}

// NewHandler returns the HTTP side of svc; ips tells the client address a
// request's per-IP quotas count against.
func NewHandler(svc *Service, ips clientip.Resolver) *Handler {
	return &Handler{svc: svc, ips: ips, log: svc.log}
}

// Routes are the endpoints, for the public listener.
func (h *Handler) Routes() []Route {
	auth := func(f func(http.ResponseWriter, *http.Request, redisstore.Session)) http.Handler {
		return httpauth.Require(h.svc.rs, f)
	}
	return []Route{
		{Pattern: "POST /api/guest", Handler: http.HandlerFunc(h.guest)},
		{Pattern: "POST /api/register", Handler: http.HandlerFunc(h.register)},
		{Pattern: "POST /api/login", Handler: http.HandlerFunc(h.login)},
		{Pattern: "POST /api/logout", Handler: auth(h.logout)},
		{Pattern: "POST /api/password", Handler: auth(h.password)},
		{Pattern: "GET /api/me", Handler: auth(h.me)},
		{Pattern: "PATCH /api/me", Handler: auth(h.rename)},
		{Pattern: "DELETE /api/me", Handler: auth(h.deleteMe)},
		{Pattern: "GET /api/players/{id}", Handler: http.HandlerFunc(h.profile)},
	}
}

// Mux is every route on one ServeMux (for tests and stand-alone use).
func (h *Handler) Mux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// decode reads exactly one JSON object with only known fields into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if httpauth.ReadJSON(w, r, v, maxBody) != nil {
		writeError(w, ErrBadMessage)
		return false
	}
	return true
}

// clientIP is the per-IP budget of r's client (clientip.Resolver.Key).
func (h *Handler) clientIP(r *http.Request) string { return h.ips.Key(r) }

func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	httpauth.Error(w, e.Status, e.Code, e.Message)
}

// fail answers err: a refusal as it is, anything else 503 (logged, but
// not saturated hashing, which is expected under a login burst).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := AsError(err)
	if e == ErrUnavailable && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrBusy) {
		h.log.Warn("account request failed", "path", r.URL.Path, "err", err)
	}
	writeError(w, e)
}

func (h *Handler) guest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := h.svc.Guest(r.Context(), in.Name, h.clientIP(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusCreated, a)
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	var in Register
	if !decode(w, r, &in) {
		return
	}
	var guest *redisstore.Session
	tok := httpauth.Token(r)
	if tok != "" {
		sess, err := h.svc.rs.Session(r.Context(), tok)
		if errors.Is(err, redisstore.ErrNoSession) {
			writeError(w, ErrBadToken)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		guest = &sess
	}
	a, err := h.svc.Register(r.Context(), in, guest, tok, h.clientIP(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusCreated, a)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := h.svc.Login(r.Context(), in.Username, in.Password, h.clientIP(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, a)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	if err := h.svc.Logout(r.Context(), sess, httpauth.Token(r), h.clientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) password(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	var in struct {
		Old string `json:"old"`
		New string `json:"new"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := h.svc.ChangePassword(r.Context(), sess, httpauth.Token(r), in.Old, in.New, h.clientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	me, err := h.svc.Me(r.Context(), sess)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, me)
}

func (h *Handler) rename(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	me, err := h.svc.Rename(r.Context(), sess, httpauth.Token(r), in.Name, h.clientIP(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, me)
}

func (h *Handler) deleteMe(w http.ResponseWriter, r *http.Request, sess redisstore.Session) {
	var in struct {
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := h.svc.Delete(r.Context(), sess, in.Password, h.clientIP(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) profile(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.PublicProfile(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpauth.JSON(w, http.StatusOK, p)
}
