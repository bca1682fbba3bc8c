package settings

import (
	"strings"
	"testing"
)

func TestNormalizeOrigins(t *testing.T) {
	cases := []struct {
		in      []string
		want    string
		badLine string
	}{
		{[]string{"https://a.example.com"}, "https://a.example.com", ""},
		{[]string{"https://a.example.com:8443", "http://localhost:3000"}, "https://a.example.com:8443 http://localhost:3000", ""},
		{[]string{"HTTPS://A.Example.COM/"}, "https://a.example.com", ""},
		{[]string{"", "  ", "http://x.io", "http://x.io"}, "http://x.io", ""},
		{[]string{"http://[::1]:8080"}, "http://[::1]:8080", ""},
		{[]string{"http://a.io", "*"}, "", "line 2"},
		{[]string{"https://*.example.com"}, "", "line 1"},
		{[]string{"null"}, "", "line 1"},
		{[]string{"https://a.io/x"}, "", "path"},
		{[]string{"https://a.io#x"}, "", "fragment"},
		{[]string{"https://a.io:0"}, "", "port"},
		{[]string{"https://a.io:"}, "", "empty port"},
		{[]string{"https://-a.io"}, "", "host"},
		{[]string{"https://"}, "", "no host"},
		{[]string{"ws://a.io"}, "", "http://"},
	}
	for _, tc := range cases {
		got, errs := NormalizeOrigins(tc.in)
		if tc.badLine == "" {
			if len(errs) != 0 || strings.Join(got, " ") != tc.want {
				t.Errorf("%q: got %q, errors %v", tc.in, got, errs)
			}
			continue
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.badLine) || errs[0].Field != "corsOrigins" {
			t.Errorf("%q: want one corsOrigins error mentioning %q, got %v", tc.in, tc.badLine, errs)
		}
	}
}

func TestAllowsOrigin(t *testing.T) {
	s := Settings{CORSEnabled: true, CORSOrigins: []string{"https://a.io"}}
	if !s.AllowsOrigin("https://a.io") || s.AllowsOrigin("https://a.io:443") || s.AllowsOrigin("https://b.io") || s.AllowsOrigin("") {
		t.Fatal("exact match only")
	}
	s.CORSEnabled = false
	if s.AllowsOrigin("https://a.io") {
		t.Fatal("disabled CORS allows nothing")
	}
}
