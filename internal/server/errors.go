package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is an error the API returns in OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

// badRequest is a 400 invalid_request_error about param ("" for none).
func badRequest(param, code, msg string) *apiError {
	e := &apiError{Status: http.StatusBadRequest, Message: msg, Type: "invalid_request_error"}
	if param != "" {
		e.Param = &param
	}
	if code != "" {
		e.Code = &code
	}
	return e
}

func newError(status int, typ, code, msg string) *apiError {
	e := &apiError{Status: status, Message: msg, Type: typ}
	if code != "" {
		e.Code = &code
	}
	return e
}

// writeError sends e as JSON; retryAfter > 0 adds a Retry-After header.
func writeError(w http.ResponseWriter, e *apiError, retryAfter int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(e.Status)
	body, _ := json.Marshal(struct {
		Error *apiError `json:"error"`
	}{e})
	w.Write(append(body, '\n'))
}

// writeJSON sends v with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, newError(http.StatusInternalServerError, "server_error", "", "encode response: "+err.Error()), 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(body, '\n'))
}
